#!/usr/bin/env bash
# Fails when a C file differs from .clang-format's layout; `clang-format -i FILE` fixes it.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.c' '*.h')
clang-format --dry-run --Werror "${files[@]}"
