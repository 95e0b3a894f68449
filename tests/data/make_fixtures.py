#!/usr/bin/env python3
"""Writes the tiny hand-made dataset fixtures into DIR (default tests/data).

usage: python3 tests/data/make_fixtures.py [DIR]
The build runs it at configure time into BUILD/fixtures, so no file named like a MovieLens
release (u.data, ratings.dat, ...) is kept in the repository, even an invented one.

Every file is invented (no MovieLens data): a few users and movies per format, chosen to hit the
readers' corner cases: latin-1 titles (ml-100k, ml-1m), a duplicate (user, movie) pair, a rated
movie missing from the metadata, a movie nobody rated, timestamp 0, CRLF line ends, a header line,
half stars, quoted CSV titles with commas and doubled quotes, "(no genres listed)", a last line
without a newline, blank lines and blank-separated fields."""
import os
import sys

BASE = sys.argv[1] if len(sys.argv) > 1 else 'tests/data'


def w(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data)


def item(i, title, date, flags):
    f = ['0'] * 19
    for k in flags:
        f[k] = '1'
    return (f'{i}|'.encode() + title + f'|{date}||http://example.org/{i}|'.encode() +
            '|'.join(f).encode() + b'\n')


GENRES = ["unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
          "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
          "Romance", "Sci-Fi", "Thriller", "War", "Western"]

# ml-100k-mini: 4 users, 5 movies (movie 5 unrated, movie 3 titled "unknown" without a date)
d = f'{BASE}/ml-100k-mini'
w(f'{d}/u.genre', (''.join(f'{g}|{i}\n' for i, g in enumerate(GENRES)) + '\n').encode())
w(f'{d}/u.item', item(1, b'Toy Story (1995)', '01-Jan-1995', [3, 4, 5]) +
  item(2, 'Misérables, Les (1995)'.encode('latin-1'), '01-Jan-1995', [8]) +
  item(3, b'unknown', '', [0]) + item(4, b'Heat', '15-Dec-1995', [1, 6, 16]) +
  item(5, b'Never Rated (1990)', '01-Jan-1990', [11]))
w(f'{d}/u.occupation', b'engineer\nstudent\nwriter\n')
w(f'{d}/u.user', b'1|24|M|engineer|85711\n2|53|F|writer|94043\n3|23|M|student|32067\n'
  b'4|33|F|student|E2A4X\n')
w(f'{d}/u.data', b'1\t1\t5\t874965758\n1\t2\t3\t876893171\n2\t1\t4\t878542960\n'
  b'2\t3\t1\t876893119\n3\t4\t2\t889751712\n3\t1\t5\t875071561\n4\t2\t4\t875072484\n'
  b'4\t4\t3\t878543541\n1\t4\t4\t874965478\n2\t4\t5\t875073198\n')

# ml-1m-mini: duplicate (1, 10) (the later timestamp 978300760 wins), movie 30 rated but not in
# movies.dat, movie 40 never rated, user 3000 with timestamp 0 (unknown)
d = f'{BASE}/ml-1m-mini'
w(f'{d}/movies.dat', b"10::Toy Story (1995)::Animation|Children's|Comedy\n20::" +
  'Cité des enfants perdus, La (1995)'.encode('latin-1') + b'::Adventure|Sci-Fi\n'
  b'40::Unrated Film (2000)::Drama\n')
w(f'{d}/users.dat', b'1::F::1::10::48067\n2::M::56::16::70072\n3000::M::25::15::55117\n')
w(f'{d}/ratings.dat', b'1::10::5::978300760\n1::20::3::978302109\n2::10::4::978298413\n'
  b'2::30::2::978299000\n1::10::2::978300000\n3000::20::4::0\n3000::10::1::0\n')

# ml-latest-mini: CSV with CRLF, header, half stars, quoted titles, UTF-8, no final newline
d = f'{BASE}/ml-latest-mini'
w(f'{d}/movies.csv', ('movieId,title,genres\r\n'
                      '1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy\r\n'
                      '11,"American President, The (1995)",Comedy|Drama|Romance\r\n'
                      '25,"Film ""Quoted"" (2001)",(no genres listed)\r\n'
                      '31,Amélie (2001),Comedy|Romance\r\n').encode('utf-8'))
w(f'{d}/ratings.csv', b'userId,movieId,rating,timestamp\r\n1,1,4.0,964982703\r\n'
  b'1,11,4.5,964981247\r\n5,25,0.5,964982224\r\n5,1,3.5,1147880044\r\n7,31,5.0,1147868817\r\n'
  b'7,11,2.5,1147868828')

# generic delimited files
w(f'{BASE}/ratings-header.csv', b'user,item,rating,timestamp\n10,100,4,1000\n10,101,2.5,1001\n'
  b'11,100,5,1002\n12,102,1,1003\n')
w(f'{BASE}/ratings-blanks.txt', b'  7 70 3\n\n8   80  4.5\n7 71 1\n')
w(f'{BASE}/u-mini.test', b'1\t1\t5\t874965758\n2\t3\t1\t876893119\n4\t4\t3\t878543541\n')
