#!/bin/bash
# tests/faults/run.sh [SCENARIO...] - fault injection (tests/faults/faults.py)
# against a stack of its own: PostgreSQL, nginx with the shipped site, and a
# pool of 3 workers with request_timeout = 4 s; as root the storage root is
# a 256 MiB tmpfs, so the disk can be filled.
set -eu
: "${top_srcdir:?}" "${FLUXBASE_BIN:?}"
. "$top_srcdir/tests/lib/stack.sh"
stack_clean_env

dir=$(mktemp -d /tmp/fluxbase-faults.XXXXXX)
disk=0
cleanup() {
	status=$?
	trap - EXIT INT TERM
	stack_down
	[ "$disk" = 1 ] && umount "$dir/storage" 2>/dev/null
	if grep -l -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$dir"/log/*.log 2>/dev/null; then
		grep -h -A 20 -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$dir"/log/*.log | head -n 60
		status=1
	fi
	if [ "$status" != 0 ]; then
		tail -n 30 "$dir/log/fluxbase.log" 2>/dev/null || true
		tail -n 10 "$dir/log/nginx-error.log" 2>/dev/null || true
	fi
	if [ -n "${KEEP_STACK:-}" ]; then echo "kept $dir"; else rm -rf "$dir"; fi
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export STACK_PG_FAST=1 STACK_WORKERS=3 STACK_MAX_REQUESTS=100000
export STACK_EXTRA_CONF='[server]
request_timeout = 4
slowlog_timeout = 2
[auth]
password_ops_limit = 1
password_mem_limit = 8M
rate_limit_signup = 0
rate_limit_signin = 0
rate_limit_refresh = 0
rate_limit_magiclink = 0
rate_limit_verify = 0'
stack_db_up "$dir"
if [ "$(id -u)" = 0 ] && mkdir -p "$dir/storage" &&
	mount -t tmpfs -o size=256m,mode=0755 tmpfs "$dir/storage" 2>/dev/null; then
	disk=1
fi
stack_nginx_start
stack_migrate
stack_pool_start
"$top_srcdir/tests/lib/stack.sh" "$dir" psql -q <"$top_srcdir/tests/integration/fixture.sql" >/dev/null

FB_BASE="http://127.0.0.1:$STACK_PORT" \
FB_SVC=$("$FLUXBASE_BIN" -c "$dir/fluxbase.conf" token --role service_role) \
FB_STACK="$top_srcdir/tests/lib/stack.sh" FB_STACK_DIR=$dir FB_WORKERS=3 FB_REQUEST_TIMEOUT=4 \
FB_DISK=$disk \
	python3 "$top_srcdir/tests/faults/faults.py" "$@"
