#!/usr/bin/env bash
# Runs every libFuzzer target for a bounded time, one after the other.
#
#     tests/fuzz/run-fuzzers.sh BUILD_DIR SECONDS [TARGET...]
#
# BUILD_DIR is a build with -Dfuzzing=true (tests/fuzz/README.md); TARGET is
# at, route, config, dns, wire, elf or socks (default: all). Each target starts from its seed
# corpus and kept findings, copied to a temporary directory so the
# repository is never changed. Prints the executions per target. Exits 1 when
# a target found a crash, leak, timeout or out-of-memory, after copying each
# finding to BUILD_DIR/fuzz-findings/<target>/; 2 on a usage error.
set -uo pipefail

usage() {
	echo "usage: $0 BUILD_DIR SECONDS [at|route|config|dns|wire|elf|socks]..." >&2
	exit 2
}

[ $# -ge 2 ] || usage
build_dir=$1
seconds=$2
shift 2
[[ $seconds =~ ^[1-9][0-9]*$ ]] || usage
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(at route config dns wire elf socks)

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/st87-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

# UBSan keeps going by default: make every report a finding.
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:${UBSAN_OPTIONS:-}
export ASAN_OPTIONS=detect_leaks=1:${ASAN_OPTIONS:-}

failed=()
for target in "${targets[@]}"; do
	program=$build_dir/tests/fuzz/fuzz-$target
	if [ ! -x "$program" ]; then
		echo "$0: $program missing: build with -Dfuzzing=true (tests/fuzz/README.md)" >&2
		exit 2
	fi
	corpus=$work/$target/corpus
	artifacts=$work/$target/findings
	mkdir -p "$corpus" "$artifacts"
	cp "$here/corpus/$target"/* "$corpus"/
	if [ -d "$here/regressions/$target" ]; then
		find "$here/regressions/$target" -maxdepth 1 -type f ! -name 'README*' ! -name '.*' \
			-exec cp {} "$corpus"/ \;
	fi
	options=(-timeout=5 -rss_limit_mb=2048 -print_final_stats=1)
	[ -f "$here/$target.dict" ] && options+=(-dict="$here/$target.dict")
	# Room for a whole 4096-byte #IPREAD block and the lines around it.
	[ "$target" = at ] && options+=(-max_len=12288)

	log=$work/$target/log
	"$program" -max_total_time="$seconds" -artifact_prefix="$artifacts/" "${options[@]}" \
		"$corpus" >"$log" 2>&1
	status=$?

	executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	coverage=$(grep -E '^#[0-9]+[[:space:]]+(DONE|INITED)' "$log" | tail -n 1 |
		sed -n 's/.*cov: \([0-9]*\).*corp: \([0-9]*\).*/\1 edges, corpus \2/p')
	if [ $status -eq 0 ] && [ -z "$(ls -A "$artifacts")" ]; then
		echo "fuzz-$target: ${executions:-?} executions in $seconds s ($coverage): nothing found"
		continue
	fi
	failed+=("$target")
	echo "fuzz-$target: FINDING after ${executions:-?} executions (exit status $status)"
	grep -E '^(==[0-9]+==ERROR|SUMMARY|.*invariant broken|.*runtime error)' "$log" | head -n 5
	keep=$build_dir/fuzz-findings/$target
	mkdir -p "$keep"
	cp "$log" "$keep/log"
	for finding in "$artifacts"/*; do
		[ -e "$finding" ] || continue
		cp "$finding" "$keep/"
		echo "  kept $keep/$(basename "$finding"); replay: $build_dir/tests/fuzz/fuzz-replay-$target $keep/$(basename "$finding")"
	done
done

if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzzing found something in: ${failed[*]}" >&2
	exit 1
fi
