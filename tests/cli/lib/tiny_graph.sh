# tiny_graph.sh: the hand-made ratings of the query tests (sourced, not run as a test).
#   tiny_setup NAME   scratch dir $tmp (removed on exit) and $tmp/tiny.csv: users 1..4,
#                     movies 10..40, CSV user,movie,rating,timestamp; u4 - m40 is a second
#                     component.  The tests' hand-computed answers rely on these eight ratings.
fail() { echo "FAIL: $*" >&2; exit 1; }

tiny_setup() {
    tmp="${RG_TEST_TMP:-/tmp}/$1.$$"
    rm -rf "$tmp"; mkdir -p "$tmp"
    trap 'rm -rf "$tmp"' EXIT
    cat > "$tmp/tiny.csv" <<'CSV'
1,10,5,100
1,20,3,101
1,30,4,102
2,10,4,103
2,20,2,104
3,20,5,105
3,30,1,106
4,40,2,107
CSV
}
