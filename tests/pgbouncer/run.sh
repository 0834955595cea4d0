#!/bin/bash
# tests/pgbouncer/run.sh - the pool behind PgBouncer (Debian's, 1.18).
#
# Design: a private stack (tests/lib/stack.sh: PostgreSQL on a unix
# socket, nginx on a free port) with PgBouncer started by this test on a
# free 127.0.0.1 port in front of that PostgreSQL, run as PostgreSQL's
# user (PgBouncer refuses root), auth_type trust with an auth_file naming
# the login.  The pool's [database] url points at PgBouncer; admin_url
# (migrate, and the suites' own psql) goes to PostgreSQL directly, as the
# README says it must.  PgBouncer offers three databases, all the same
# PostgreSQL database:
#   fluxbase      transaction mode, 1 server connection
#   fluxbase_two  transaction mode, 2 server connections
#   fluxbase_ses  session mode (each worker its own server connection)
# Then:
#   1. the whole integration suite (http_test and the JS clients) through
#      "fluxbase" with the suite's 2 workers (its checks count them): more
#      workers than server connections, so the workers' transactions
#      interleave on it (the examples of docs/API.md are left out: they
#      create tables and use them at once, see below);
#   2. the targeted isolation test (isolation.sh) with 4 workers, every
#      request on that one server connection right after someone else's;
#   3. the same, shorter, through "fluxbase_two": consecutive
#      transactions of a worker run on different server connections, so
#      its named statements go missing (26000) and it falls back to
#      unnamed ones: its warning must be in the log, and no request may
#      fail for it (the isolation test wants every answer right);
#   4. the same, shorter, through "fluxbase_ses" (session mode): named
#      statements work there, no worker may fall back.
# Between 1 and 2, right after a service-role request, a client of
# PgBouncer's own must get the server connection as the login, with no
# claims and the cluster's statement timeout (the workers set the
# identity for each transaction only); then check-config and storage-gc
# with a role left on it by that client.
# Three kinds of checks of the suite hold only with a session of our own:
# they may fail here, and no other check may.
#  - A table, column or function the check has just created, used at
#    once: with a session of its own each worker hears PostgreSQL's
#    NOTIFY and reloads its schema cache; a transaction pooler cannot
#    deliver it (LISTEN needs a session), so a worker sees a change at a
#    miss (a table or function it does not know: one reload a second at
#    most) or at the next [tables] schema_poll.  The answers that say so
#    (404 NOT_FOUND of a table, PGRST202 "in the schema cache", PGRST100
#    unknown column) are counted and printed, not failed.
#  - test_public_cache wants anonymous downloads answered from the
#    workers' memory and a deleted object gone at once: that cache is
#    cleared by a NOTIFY too (behind a pooler it must be off, or it serves
#    what was deleted for up to its TTL).
#  - test_identity_never_passes_between_requests wants the log line of an
#    identity found changed; a worker behind a pooler sets the identity
#    for each transaction only and never finds it changed (the checks that
#    no identity passes between callers run before it and must hold).
# PGB_ONLY_ISOLATION=1 runs phases 2 to 4 only (work on them).
# Exit 77 (skip) only when not root and PgBouncer is missing (installing
# it needs root).
set -eu
: "${top_srcdir:?}" "${top_builddir:?}" "${FLUXBASE_BIN:?}"
. "$top_srcdir/tests/lib/stack.sh"
. "$top_srcdir/tests/pgbouncer/isolation.sh"

if ! command -v pgbouncer >/dev/null 2>&1 && [ ! -x /usr/sbin/pgbouncer ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: PgBouncer is not installed and installing it needs root (script/setup does)"
		exit 77
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q pgbouncer >/dev/null
fi
PGBOUNCER=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)

stack_clean_env
dir=$(mktemp -d /tmp/fluxbase-pgbouncer.XXXXXX)
pgb_pid=
cleanup() {
	status=$?
	trap - EXIT INT TERM
	if [ -n "$pgb_pid" ]; then
		kill -TERM "$pgb_pid" 2>/dev/null || true
		wait "$pgb_pid" 2>/dev/null || true
	fi
	# Whatever its pid file names, should it be another process.
	if [ -s "${pgb:-/nonexistent}/pgbouncer.pid" ]; then
		kill -TERM "$(cat "$pgb/pgbouncer.pid")" 2>/dev/null || true
	fi
	[ -z "${STACK_DIR:-}" ] || stack_down
	# Pools a failed check of the suite left running on our config (its
	# own, started by modes tests): ours by the path of our directory.
	for p in $(pgrep -f -- "-c $dir/fluxbase.conf" || true); do
		kill -TERM "$p" 2>/dev/null || true
	done
	if [ "$status" != 0 ]; then
		echo "--- logs of the failed run ($dir/log) ---"
		tail -n 40 "$dir/log/fluxbase.log" 2>/dev/null || true
		tail -n 20 "$dir/log/pgbouncer.log" 2>/dev/null || true
		echo "--- failed checks ---"
		grep -E ':[FE]:|Checks: ' "$dir/http_test.out" 2>/dev/null | cut -c1-300 || true
		grep -h '^FAIL' "$dir"/iso-*.out 2>/dev/null | head -n 20 || true
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
stack_db_up "$dir"

# PgBouncer on a free port, as PostgreSQL's user.
pgb_port=$(stack_free_port $((STACK_PORT + 100)))
pgb=$dir/pgbouncer
mkdir -p "$pgb"
printf '"authenticator" ""\n"pgb_admin" ""\n' >"$pgb/userlist.txt"
cat >"$pgb/pgbouncer.ini" <<EOT
[databases]
fluxbase = host=$dir/pgrun dbname=fluxbase pool_size=1
fluxbase_two = host=$dir/pgrun dbname=fluxbase pool_size=2
fluxbase_ses = host=$dir/pgrun dbname=fluxbase pool_size=12 pool_mode=session

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $pgb_port
unix_socket_dir =
auth_type = trust
auth_file = $pgb/userlist.txt
pool_mode = transaction
admin_users = pgb_admin
max_client_conn = 200
; PostgreSQL stopped by the suite: 503 within 2 s, and back at once.
server_login_retry = 1
query_wait_timeout = 2
logfile = $dir/log/pgbouncer.log
pidfile = $pgb/pgbouncer.pid
EOT
touch "$dir/log/pgbouncer.log"
if [ "$(id -u)" = 0 ]; then
	chown -R "$STACK_PG_USER" "$pgb" "$dir/log/pgbouncer.log"
fi
# Exec'd as that user (no runuser in between): $! is PgBouncer itself.
if [ "$(id -u)" = 0 ]; then
	setpriv --reuid="$STACK_PG_USER" --regid="$(id -g "$STACK_PG_USER")" --init-groups \
		"$PGBOUNCER" -q "$pgb/pgbouncer.ini" &
else
	"$PGBOUNCER" -q "$pgb/pgbouncer.ini" &
fi
pgb_pid=$!
i=0
until ! stack_port_free "$pgb_port"; do
	i=$((i + 1))
	if [ $i -gt 50 ] || ! kill -0 "$pgb_pid" 2>/dev/null; then
		tail -n 20 "$dir/log/pgbouncer.log"
		echo "FAIL: PgBouncer did not start on port $pgb_port"
		exit 1
	fi
	sleep 0.1
done

# The server connections PgBouncer holds for DATABASE, from its console.
pgb_servers() {
	"$STACK_PG_BIN/psql" -X -h 127.0.0.1 -p "$pgb_port" -U pgb_admin -d pgbouncer -tA \
		-F ' ' -c 'SHOW SERVERS' | awk -v db="$1" '$3 == db' | wc -l
}

pgb_url() { echo "host=127.0.0.1 port=$pgb_port dbname=$1 user=authenticator"; }

# The integration suite's own configuration, the pool's url through
# PgBouncer (a later [database] section overrides the generated one).
STACK_EXTRA_CONF="[tables]
schemas = public, extra
[cors]
allowed_origins = https://app.example
[auth]
password_ops_limit = 1
password_mem_limit = 8M
trusted_proxy_header = X-Forwarded-For
refresh_reuse_interval = 2
redirect_allow_list = https://app.example/
rate_limit_signin = 5
[database]
url = $(pgb_url fluxbase)"
export STACK_EXTRA_CONF
stack_nginx_start
stack_migrate
stack_pool_start
"$top_srcdir/tests/lib/stack.sh" "$dir" psql -q <"$top_srcdir/tests/integration/fixture.sql" \
	>/dev/null

# The pool's url and workers, for the phases after the suite: the pool
# restarted.
pgb_switch() { # database workers
	stack_pool_stop
	sed -i -e "s|^url = host=127.0.0.1 port=$pgb_port dbname=[a-z_]* |url = host=127.0.0.1 port=$pgb_port dbname=$1 |" \
		-e "s|^workers = .*|workers = $2|" "$dir/fluxbase.conf"
	grep -q "dbname=$1 " "$dir/fluxbase.conf" || { echo "FAIL: url not switched to $1"; exit 1; }
	stack_pool_start
}

# Every check of the suite passes but those of the three kinds above.
pgb_suite_checked() {
	grep -E '^[0-9]+%' "$dir/http_test.out" || true
	expected=':F:[a-z_]*:test_[a-z_]*:0: .*("error":"Table \\"[a-z_]*\\" not found","code":"NOT_FOUND"|"code":"PGRST202".*in the schema cache|"error":"Unknown column .*"code":"PGRST100")'
	expected="$expected|:test_public_cache:|:test_identity_never_passes_between_requests:.*log_contains\\(\"request identity was changed\"\\)"
	unexpected=$(grep -E ':[FE]:' "$dir/http_test.out" | grep -v -E "$expected" || true)
	if [ -n "$unexpected" ] || ! grep -q '^[0-9]*%: Checks: [1-9][0-9]*, Failures: [0-9]*, Errors: 0' "$dir/http_test.out"; then
		printf '%s\n' "$unexpected"
		echo "FAIL: the integration suite through PgBouncer"
		exit 1
	fi
	grep -E ':[FE]:' "$dir/http_test.out" | grep -E "$expected" | sed 's/^/expected behind a transaction pooler: /' | cut -c1-200 || true
	echo "integration suite through PgBouncer (transaction mode, 1 server connection, 2 workers): passed in $((SECONDS - start)) s"
}

# 1. The integration suite, through 1 server connection.
export FB_URL="http://127.0.0.1:$STACK_PORT/api/v1"
export FB_BASE="http://127.0.0.1:$STACK_PORT"
export FB_STACK="$top_srcdir/tests/lib/stack.sh"
export FB_STACK_DIR="$dir"
export FB_MAX_REQUESTS=$STACK_MAX_REQUESTS
export FB_MAX_BODY=1048576
export CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-120}
export CK_FORK=yes
# Behind a transaction pooler the identity is set in each transaction: the
# one-round-trip checks count two statements in their one send.
export FB_POOLED=1
set -o pipefail
start=$SECONDS
if [ -n "${PGB_ONLY_ISOLATION:-}" ]; then
	# For work on the isolation test: phases 2 to 4 only.
	: >"$dir/http_test.out"
	PGB_NO_JS=1
else
	"$top_builddir/tests/integration/http_test" >"$dir/http_test.out" 2>&1 || true
	pgb_suite_checked
fi

if [ -z "${PGB_NO_JS:-}" ] && command -v node >/dev/null 2>&1; then
	start=$SECONDS
	FB_URL=$FB_URL TOKEN=$("$FLUXBASE_BIN" -c "$dir/fluxbase.conf" token --role service_role) \
		node "${FB_JS_DIR:-$top_srcdir/tests/js}/postgrest_client.js" >"$dir/js.out" 2>&1 ||
		{ tail -n 30 "$dir/js.out"; echo "FAIL: postgrest-js through PgBouncer"; exit 1; }
	keys=$("$FLUXBASE_BIN" -c "$dir/fluxbase.conf" keys)
	ws=
	node -e 'process.exit(typeof WebSocket === "undefined" ? 0 : 1)' && ws=--experimental-websocket
	FB_ROOT=$FB_BASE FB_STACK_DIR=$dir FB_MAIL_DIR=$dir/mail \
	ANON_KEY=$(sed -n 's/^FLUXBASE_ANON_KEY=//p' <<<"$keys") \
	SERVICE_KEY=$(sed -n 's/^FLUXBASE_SERVICE_KEY=//p' <<<"$keys") \
		node $ws "${FB_JS_DIR:-$top_srcdir/tests/js}/supabase_client.js" >>"$dir/js.out" 2>&1 ||
		{ tail -n 30 "$dir/js.out"; echo "FAIL: supabase-js through PgBouncer"; exit 1; }
	echo "JS clients through PgBouncer: passed in $((SECONDS - start)) s"
fi

# Nothing of a caller stays on the server connection: behind a pooler a
# worker sets the identity for each transaction only.  Right after a
# request as the service role (which bypasses row-level security), the
# next client of that one server connection is the login, with no claims
# and the cluster's statement timeout, not the pool's 10 s.
svc=$("$FLUXBASE_BIN" -c "$dir/fluxbase.conf" token --role service_role)
direct=$("$top_srcdir/tests/lib/stack.sh" "$dir" psql -X -tA -c "SHOW statement_timeout")
for i in 1 2 3; do
	curl -fsS -o /dev/null -H "Authorization: Bearer $svc" "$FB_URL/tables/box?limit=1" ||
		{ echo "FAIL: a service-role read through PgBouncer"; exit 1; }
	left=$("$STACK_PG_BIN/psql" -X -tA -d "$(pgb_url fluxbase)" -c "SELECT current_user,
		coalesce(current_setting('request.jwt.claims', true), ''),
		coalesce(current_setting('request.jwt.claim.role', true), ''),
		current_setting('statement_timeout')")
	[ "$left" = "authenticator|||$direct" ] ||
		{ echo "FAIL: a request left '$left' on PgBouncer's server connection (expected authenticator|||$direct)"; exit 1; }
done
echo "nothing of a caller left on PgBouncer's server connection: passed"

# What another client left on the server connection (a role, set for the
# session) is not the login: check-config judges the login.
# And storage-gc refuses a pooled connection: the role left on it would
# hide other callers' objects, and their blobs would look orphaned.
"$STACK_PG_BIN/psql" -X -q -d "$(pgb_url fluxbase)" -c "SET ROLE anon" ||
	{ echo "FAIL: cannot leave a role on PgBouncer's server connection"; exit 1; }
FLUXBASE_DATABASE_URL="$(pgb_url fluxbase)" "$FLUXBASE_BIN" -c "$dir/fluxbase.conf" check-config \
	>"$dir/check.out" 2>&1 && grep -q 'database: connected as authenticator' "$dir/check.out" ||
	{ cat "$dir/check.out"; echo "FAIL: check-config through PgBouncer after a role was left"; exit 1; }
if FLUXBASE_DATABASE_ADMIN_URL= "$FLUXBASE_BIN" -c "$dir/fluxbase.conf" storage-gc --check \
	>"$dir/gc.out" 2>&1 || ! grep -q 'leads to a connection pooler' "$dir/gc.out"; then
	cat "$dir/gc.out"
	echo "FAIL: storage-gc ran through PgBouncer"
	exit 1
fi
echo "check-config and storage-gc behind PgBouncer: passed"

# The workers saw the pooler (and said so).
grep -q 'a connection pooler is between us and PostgreSQL' "$dir/log/fluxbase.log" ||
	{ echo "FAIL: no worker found PgBouncer (no warning in the log)"; exit 1; }
# The fallback's warnings since line $1 of the log.
pgb_fallbacks() {
	tail -n +"$1" "$dir/log/fluxbase.log" | grep -c 'unnamed statements from now on' || true
}

# 2. Two users interleaved on one server connection.
pgb_switch fluxbase 4
pgb_isolation tx 1 fluxbase | tee "$dir/iso-tx.out"
# 3. The same over two: the fallback, and no request failed for it.
from=$(($(wc -l <"$dir/log/fluxbase.log") + 1))
pgb_switch fluxbase_two 4
PGB_ISO_REQUESTS=60 pgb_isolation tx2 2 fluxbase_two | tee "$dir/iso-tx2.out"
n=$(pgb_fallbacks "$from")
[ "$n" -ge 1 ] || { echo "FAIL: no worker fell back to unnamed statements on 2 server connections"; exit 1; }
echo "fallback to unnamed statements: $n worker(s), no request failed"
# 4. Session mode: named statements stay.
from=$(($(wc -l <"$dir/log/fluxbase.log") + 1))
pgb_switch fluxbase_ses 4
PGB_ISO_REQUESTS=50 pgb_isolation session 4 fluxbase_ses | tee "$dir/iso-session.out"
n=$(pgb_fallbacks "$from")
[ "$n" = 0 ] || { echo "FAIL: $n worker(s) fell back to unnamed statements in session mode"; exit 1; }
echo "PgBouncer: all passed"
