#!/bin/bash
# Integration suite: a throwaway stack (PostgreSQL, the pool, nginx on a
# free port), the check+libcurl test program against it, and teardown even
# when a test fails or the run is interrupted.
#
# FB_STORAGE=s3 (tests/integration/run_s3.sh): the objects in a one-node
# Ceph RADOS Gateway of the run's own (tests/lib/ceph.sh), offloads proxied
# from it by nginx; then only the storage cases run (the S3 ones with
# them), and the deploy smoke suite through the same nginx.
set -eu
: "${top_srcdir:?}" "${top_builddir:?}" "${FLUXBASE_BIN:?}"
. "$top_srcdir/tests/lib/stack.sh"
s3=
if [ "${FB_STORAGE:-fs}" = s3 ]; then
	s3=1
	. "$top_srcdir/tests/lib/ceph.sh"
	command -v radosgw >/dev/null || { echo "Ceph is not installed (script/setup)"; exit 77; }
fi

stack_clean_env

dir=$(mktemp -d /tmp/fluxbase-test.XXXXXX)
cleanup() {
	status=$?
	trap - EXIT INT TERM
	stack_down
	[ -z "$s3" ] || ceph_down "$dir/ceph" || true
	# In the sanitizer build, a report from any process (workers included)
	# fails the run.
	if grep -l -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$dir"/log/*.log \
		2>/dev/null; then
		echo "sanitizer reports in the logs above:"
		grep -h -A 20 -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$dir"/log/*.log | head -n 80
		status=1
	fi
	if [ "$status" != 0 ]; then
		echo "--- logs of the failed run ($dir/log) ---"
		tail -n 40 "$dir/log/fluxbase.log" 2>/dev/null || true
		tail -n 20 "$dir/log/nginx-error.log" 2>/dev/null || true
		# Last, where a reader of the log's tail sees them: the checks
		# that failed (check prints its summary before the long list).
		echo "--- failed checks ---"
		grep -E ':[FE]:|Checks: ' "$dir/http_test.out" 2>/dev/null || echo "(none: see above)"
	fi
	if [ -n "${KEEP_STACK:-}" ]; then
		echo "kept $dir"
	else
		rm -rf "$dir"
	fi
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export STACK_PG_FAST=1 STACK_WORKERS=2 STACK_MAX_REQUESTS=${STACK_MAX_REQUESTS:-200}
export STACK_EXTRA_CONF='[tables]
schemas = public, extra
[cors]
allowed_origins = https://app.example
[auth]
password_ops_limit = 1
password_mem_limit = 8M
trusted_proxy_header = X-Forwarded-For
refresh_reuse_interval = 2
redirect_allow_list = https://app.example/
rate_limit_signin = 5'
if [ -n "$s3" ]; then
	ceph_up "$dir/ceph" >"$dir/ceph-up.log" 2>&1 || { cat "$dir/ceph-up.log"; exit 1; }
	STACK_EXTRA_CONF="$STACK_EXTRA_CONF
$(ceph_storage_conf)"
	STACK_S3_ADDRESS=${CEPH_S3_ENDPOINT#http://}
	export FB_CEPH_DIR=$dir/ceph STACK_S3_ADDRESS
fi
stack_up "$dir"
# On stdin: PostgreSQL's user may not be able to read the source tree.
"$top_srcdir/tests/lib/stack.sh" "$dir" psql -q <"$top_srcdir/tests/integration/fixture.sql" \
	>/dev/null

export FB_URL="http://127.0.0.1:$STACK_PORT/api/v1"
export FB_BASE="http://127.0.0.1:$STACK_PORT"
export FB_STACK="$top_srcdir/tests/lib/stack.sh"
export FB_STACK_DIR="$dir"
export FB_MAX_REQUESTS=$STACK_MAX_REQUESTS
export FB_MAX_BODY=1048576
export CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-120}
export CK_FORK=yes
set -o pipefail
if [ -n "$s3" ]; then
	for case in storage supabase_storage storage_s3; do
		CK_RUN_CASE=$case "$top_builddir/tests/integration/http_test" 2>&1 |
			tee -a "$dir/http_test.out"
	done
	"$top_srcdir/tests/deploy/smoke.sh" "$FB_URL" \
		"$("$FLUXBASE_BIN" -c "$dir/fluxbase.conf" token --role service_role)" nginx-s3
	exit 0
fi
"$top_builddir/tests/integration/http_test" 2>&1 | tee "$dir/http_test.out"

# postgrest-js, as supabase-js uses it, against /api/v1/tables.
FB_URL=$FB_URL TOKEN=$("$FLUXBASE_BIN" -c "$dir/fluxbase.conf" token --role service_role) \
	node "${FB_JS_DIR:-$top_srcdir/tests/js}/postgrest_client.js"

# supabase-js against /auth/v1, /rest/v1 and /storage/v1 with the project's
# keys; it switches the stack's config and reads its mail directory.  Node
# 20 has no WebSocket by default, which realtime-js asks for at createClient.
keys=$("$FLUXBASE_BIN" -c "$dir/fluxbase.conf" keys)
ws=
node -e 'process.exit(typeof WebSocket === "undefined" ? 0 : 1)' && ws=--experimental-websocket
FB_ROOT=$FB_BASE FB_STACK_DIR=$dir FB_MAIL_DIR=$dir/mail \
ANON_KEY=$(sed -n 's/^FLUXBASE_ANON_KEY=//p' <<<"$keys") \
SERVICE_KEY=$(sed -n 's/^FLUXBASE_SERVICE_KEY=//p' <<<"$keys") \
	node $ws "${FB_JS_DIR:-$top_srcdir/tests/js}/supabase_client.js"

# The examples of docs/API.md, as a user would paste them.
FLUXBASE_URL=$FB_URL \
SERVICE_TOKEN=$("$FLUXBASE_BIN" -c "$dir/fluxbase.conf" token --role service_role) \
DATABASE_URL="postgresql://$STACK_PG_SUPER@/fluxbase?host=$dir/pgrun" \
FLUXBASE_MAIL_DIR=$dir/mail \
	"$top_srcdir/tests/integration/doc_examples.sh" "$top_srcdir/docs/API.md"
