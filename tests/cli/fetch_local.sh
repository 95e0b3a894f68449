#!/usr/bin/env bash
# fetch_local.sh: `reelgraph fetch` against a loopback HTTP server (no internet needed): a good
# download with its published MD5, a wrong checksum, a truncated transfer, a pinned SHA-256, an
# unknown name. Nothing may be unpacked when verification fails.
set -euo pipefail
rg="$1"
here="$(cd "$(dirname "$0")" && pwd)"
tmp="${RG_TEST_TMP:-/tmp}/fetch.$$"
rm -rf "$tmp"; mkdir -p "$tmp/www/bad" "$tmp/src/ml-100k"
trap 'kill $server 2>/dev/null || true; rm -rf "$tmp"' EXIT

# a small dataset zipped the way GroupLens ships it: a top-level folder named after the release
printf '1\t10\t4\t881250949\n2\t10\t3\t881250950\n' > "$tmp/src/ml-100k/u.data"
python3 - "$tmp" <<'PY'
import hashlib, sys, zipfile
tmp = sys.argv[1]
with zipfile.ZipFile(f"{tmp}/www/ml-100k.zip", "w") as z:
    z.write(f"{tmp}/src/ml-100k/u.data", "ml-100k/u.data")
data = open(f"{tmp}/www/ml-100k.zip", "rb").read()
open(f"{tmp}/www/ml-100k.zip.md5", "w").write(hashlib.md5(data).hexdigest() + "  ml-100k.zip\n")
open(f"{tmp}/www/sha256", "w").write(hashlib.sha256(data).hexdigest())
open(f"{tmp}/www/bad/ml-100k.zip", "wb").write(data)
open(f"{tmp}/www/bad/ml-100k.zip.md5", "w").write("0" * 32 + "  ml-100k.zip\n")
PY
python3 "$here/../support/http_fixture.py" "$tmp/www" "$tmp/port" &
server=$!
for _ in $(seq 50); do [ -f "$tmp/port" ] && break; sleep 0.1; done
base="http://127.0.0.1:$(cat "$tmp/port")"

fail() { echo "FAIL: $*" >&2; exit 1; }

# 1. good download, published MD5
out=$("$rg" fetch ml-100k -o "$tmp/data" --base-url "$base" --quiet --json)
echo "$out" | grep -q "\"path\":\"$tmp/data/ml-100k\"" || fail "json path: $out"
cmp "$tmp/data/ml-100k/u.data" "$tmp/src/ml-100k/u.data" || fail "unpacked file differs"

# 2. wrong checksum: exit 1, message names the mismatch, nothing unpacked
set +e
err=$("$rg" fetch ml-100k -o "$tmp/bad" --base-url "$base/bad" --quiet 2>&1); rc=$?
set -e
[ $rc -eq 1 ] || fail "wrong checksum gave exit $rc"
echo "$err" | grep -q "MD5 mismatch" || fail "message: $err"
[ ! -e "$tmp/bad/ml-100k" ] || fail "a corrupted download was unpacked"

# 3. truncated transfer
set +e
err=$("$rg" fetch ml-100k -o "$tmp/trunc" --base-url "$base/truncated" \
      --md5 "$(cut -c1-32 "$tmp/www/ml-100k.zip.md5")" --quiet 2>&1); rc=$?
set -e
[ $rc -eq 1 ] || fail "truncated download gave exit $rc"
echo "$err" | grep -qi "truncated" || fail "message: $err"
[ ! -e "$tmp/trunc/ml-100k" ] || fail "a truncated download was unpacked"
[ -z "$(ls -A "$tmp/trunc")" ] || fail "partial files left behind: $(ls -A "$tmp/trunc")"

# 4. pinned SHA-256 (right, then wrong)
"$rg" fetch ml-100k -o "$tmp/pinned" --base-url "$base" --sha256 "$(cat "$tmp/www/sha256")" --quiet
[ -f "$tmp/pinned/ml-100k/u.data" ] || fail "pinned sha256 download missing"
set +e
"$rg" fetch ml-100k -o "$tmp/pinned2" --base-url "$base" --sha256 "$(printf 'f%.0s' $(seq 64))" \
    --quiet 2>/dev/null; rc=$?
set -e
[ $rc -eq 1 ] || fail "wrong sha256 gave exit $rc"

# 5. unknown dataset name and usage errors
set +e
"$rg" fetch ml-7z -o "$tmp/x" --base-url "$base" --quiet 2>/dev/null; rc=$?
set -e
[ $rc -eq 1 ] || fail "unknown name gave exit $rc"
"$rg" fetch --help | grep -q "ml-25m" || fail "--help does not list the datasets"
echo "fetch_local: 5 checks passed"
