#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan+UBSan) and runs each for SECONDS (default 60).
# Exits non-zero on a finding, which is kept in build-fuzz/fuzz-findings/. See tests/fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
CC=clang scripts/setup.sh build-fuzz -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false \
  -Dc_args=-fsanitize=fuzzer-no-link
bash tests/fuzz/run-fuzzers.sh build-fuzz "$seconds"
