#!/usr/bin/env bash
# deps.sh: install the Debian 12 packages reelgraph builds and tests with, when missing.
# Safe to run again: it installs nothing when everything is there.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libigraph-dev      # graph algorithms, GraphML
  libgsl-dev         # statistics, special functions
  libopenblas-dev    # CBLAS provider (sgemm) for GSL and our layers
  libcmocka-dev      # unit tests
  libcurl4-openssl-dev libarchive-dev libssl-dev   # fetch: HTTP, unzip, SHA-256
  libcairo2-dev      # loss-curve plots (SVG / PNG)
  libxml2-utils      # xmllint, to validate GraphML in tests
  python3            # test fixtures (tests/data/make_fixtures.py), loopback HTTP server for fetch
  clang libclang-rt-14-dev   # libFuzzer harnesses (fuzz/run.sh)
  valgrind           # scripts/memcheck.sh
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
