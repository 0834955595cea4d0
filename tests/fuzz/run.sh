#!/bin/bash
# tests/fuzz/run.sh BUILD_DIR [SECONDS] [TARGET...] - run each libFuzzer
# target (built with CC=clang ./configure --enable-fuzz) for SECONDS (2 by
# default) on its seed corpus in tests/fuzz/corpus/<target>.  New inputs go
# to a temporary directory, never into the repository; a crash leaves its
# input in BUILD_DIR/fuzz-crashes/ and fails the run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: tests/fuzz/run.sh BUILD_DIR [SECONDS] [TARGET...]}
secs=${2:-2}
shift $(( $# >= 2 ? 2 : 1 ))
targets=${*:-query sql multipart auth_json storage_json storage_key conf signed_url jwt rpc}
work=$(mktemp -d /tmp/fluxbase-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$build/fuzz-crashes"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for t in $targets; do
	bin=$build/tests/fuzz/fuzz_$t
	[ -x "$bin" ] || { echo "fuzz: $bin is not built (make -C $build fuzz)" >&2; exit 1; }
	mkdir -p "$work/$t"
	if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$build/fuzz-crashes/$t-" "$work/$t" "$here/corpus/$t" \
		>"$work/$t.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log")
		echo "fuzz: $t: ${runs:-?} runs in ${secs}s, clean"
	else
		echo "fuzz: $t FAILED (input kept in $build/fuzz-crashes/):"
		grep -E -A 15 'invariant failed|ERROR: |runtime error' "$work/$t.log" | head -n 40
		status=1
	fi
done
exit $status
