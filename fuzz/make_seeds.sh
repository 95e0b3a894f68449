#!/usr/bin/env bash
# make_seeds.sh BUILD_DIR OUT: the seed corpus of every harness, one directory per target under
# OUT, from inputs the project makes itself: the hand-made fixtures in tests/data (written by
# tests/data/make_fixtures.py), tiny synthetic datasets, snapshots and one model file per kind
# (written by the make_seeds program of the fuzz build).  Never MovieLens files.
set -euo pipefail
build=$1 out=$2
root="$(cd "$(dirname "$0")/.." && pwd)"
gen="$out/.generated"
rm -rf "$out"
mkdir -p "$out"
# the fixtures are generated, laid out as <root>/tests/data for make_seeds
data="$gen/fixture-root/tests/data"
python3 "$root/tests/data/make_fixtures.py" "$data"
"$build/make_seeds" "$gen" "$gen/fixture-root" >/dev/null

put() { # TARGET FILE...
  local t=$1; shift
  mkdir -p "$out/$t"
  for f in "$@"; do
    cp "$f" "$out/$t/$(echo "$f" | sed "s|^$root/||; s|^$gen/||; s|/|_|g")"
  done
}

put ml100k_data "$data/ml-100k-mini/u.data" "$data/u-mini.test"
put ml100k_item "$data/ml-100k-mini/u.item"
put ml100k_user "$data/ml-100k-mini/u.user"
put ml1m_ratings "$data/ml-1m-mini/ratings.dat" "$gen/synth-ml1m/ratings.dat"
put ml1m_movies "$data/ml-1m-mini/movies.dat" "$gen/synth-ml1m/movies.dat"
put ml1m_users "$data/ml-1m-mini/users.dat" "$gen/synth-ml1m/users.dat"
put mllatest_ratings "$data/ml-latest-mini/ratings.csv" "$gen/synth-latest/ratings.csv"
put mllatest_movies "$data/ml-latest-mini/movies.csv" "$gen/synth-latest/movies.csv"
ratings_files=("$data/ratings-blanks.txt" "$data/ratings-header.csv" "$data/u-mini.test"
               "$data/ml-100k-mini/u.data" "$data/ml-1m-mini/ratings.dat"
               "$data/ml-latest-mini/ratings.csv" "$gen/synth-ml1m/ratings.dat")
put ratings_read "${ratings_files[@]}"
# fuzz_csv: the first byte picks the scale and skip_bad, the rest is the file
mkdir -p "$out/csv"
i=0
for f in "${ratings_files[@]}"; do
  { printf "\\x$(printf %02x $((i % 6)))"; cat "$f"; } > "$out/csv/seed-$i"
  i=$((i + 1))
done
put snapshot "$gen"/snapshot/*.rg
# every model kind except the ensemble (300 KB: it would set libFuzzer's input size cap)
put model $(ls "$gen"/model/*.rgm | grep -v '/hybrid\.rgm$')
put model_attach $(ls "$gen"/model/*.rgm | grep -v '/hybrid\.rgm$')
# --ratings lists against the fuzz graph (movies 100..124, scale 1..5)
mkdir -p "$out/ratings_arg"
printf '100:5,101:3.5' > "$out/ratings_arg/two"
printf '124:1' > "$out/ratings_arg/one"
printf '' > "$out/ratings_arg/empty"
printf '110:4,111:2,112:5,113:1.5,114:3' > "$out/ratings_arg/five"
rm -rf "$gen"
