#!/bin/bash
# Keeps the benchmark working: bench/run --quick --json must produce every
# scenario and the memory figures, and --mode single its S1-S3 beside roles
# mode's.  It asserts nothing about speed (that
# is bench/run's own report).  BENCH_SKIP=1 skips it (the sanitizer pass).
set -euo pipefail
: "${top_srcdir:?}" "${top_builddir:?}" "${FLUXBASE_BIN:?}"
if [ -n "${BENCH_SKIP:-}" ]; then
	echo "bench: skipped (BENCH_SKIP)"
	exit 77
fi
command -v wrk >/dev/null || { echo "wrk is missing (script/setup installs it)" >&2; exit 1; }
out=$(BENCH_BIN_DIR="$top_builddir/bench" "$top_srcdir/bench/run" --quick --json)
echo "$out"
for id in S1 S2 S3 S4 S5 S5b S5o S5f S5q S8; do
	echo "$out" | grep -q "{\"id\":\"$id\",\"label\":\"[^\"]*\",\"ours\":[0-9.]*[1-9]" ||
		{ echo "bench: scenario $id missing or zero" >&2; exit 1; }
done
for key in s5_of_s5b s5o_of_s5f s5o_of_s5q upload_mib_per_s idle_rss_kib growth_100k_kib upload_growth_kib; do
	echo "$out" | grep -q "\"$key\":-\?[0-9]" || { echo "bench: no $key" >&2; exit 1; }
done
# Single-login mode against roles mode, S1-S3 (bench/run --mode single).
out=$(BENCH_BIN_DIR="$top_builddir/bench" "$top_srcdir/bench/run" --quick --json --mode single)
echo "$out"
for id in S1 S2 S3; do
	echo "$out" | grep -q "{\"id\":\"$id\",\"label\":\"[^\"]*\",\"single\":[0-9.]*[1-9][0-9.]*,\"roles\":[0-9.]*[1-9]" ||
		{ echo "bench: single mode: $id missing or zero" >&2; exit 1; }
done
# The objects on Ceph's RADOS Gateway (bench/run --s3), where Ceph is installed.
if command -v radosgw >/dev/null && command -v ceph-osd >/dev/null; then
	out=$(BENCH_BIN_DIR="$top_builddir/bench" "$top_srcdir/bench/run" --quick --json --s3)
	echo "$out"
	for id in S5s S5so S5sf; do
		echo "$out" | grep -q "{\"id\":\"$id\",\"label\":\"[^\"]*\",\"ours\":[0-9.]*[1-9][0-9.]*,\"rgw\":[0-9.]*[1-9]" ||
			{ echo "bench: --s3: $id missing or zero" >&2; exit 1; }
	done
	echo "$out" | grep -q '"upload_mib_per_s":[0-9.]*[1-9].*"upload_growth_kib":-\?[0-9]' ||
		{ echo "bench: --s3: no upload figures" >&2; exit 1; }
else
	echo "bench: --s3 not run (Ceph is not installed: script/setup installs it)"
fi
echo "bench: quick run complete"
