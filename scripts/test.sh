#!/usr/bin/env bash
# Builds st87shim and runs every test: the plain build, then ASan+UBSan, then the unit
# tests under valgrind, then the threaded client under ThreadSanitizer. Exits non-zero when any test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
# Four at a time on two cores: most cases wait on a fake modem's timers or a real program, not the CPU.
meson test -C build --print-errorlogs --num-processes 4

scripts/setup.sh build-sanitize -Db_sanitize=address,undefined -Db_lundef=false
ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  meson test -C build-sanitize --print-errorlogs --num-processes 2 --no-suite preloaded

meson test -C build --setup valgrind --suite unit --print-errorlogs --num-processes 2

# ThreadSanitizer: the shim inside a program whose threads route, use and close sockets at once.
scripts/setup.sh build-tsan -Db_sanitize=thread -Db_lundef=false
meson test -C build-tsan --print-errorlogs --num-processes 2 shim-threads shim-maker-threads
