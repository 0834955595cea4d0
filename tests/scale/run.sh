#!/bin/bash
# tests/scale/run.sh - several hosts behind one balancer (issue 21, part 4).
#
# Design.  Two "hosts", each a network namespace of its own (tests/scale/
# net.sh: a bridge made here in the root namespace, a veth pair per host,
# addresses in a free 10.213.X.0/24), each running a whole pool
# (`fluxbase-fcgi -c hostN/fluxbase.conf serve`, a master and 3 workers)
# listening on TCP on its own address, port 9000.  In the root namespace:
#   - PostgreSQL (tests/lib/stack.sh's private cluster) with a TCP listener
#     on the bridge address added to its unix socket, trusted for the
#     bridge's /24 only; both hosts use it, with [auth] rate_limit_store =
#     database so a sign-in limit is one limit for both;
#   - the objects: with a binary that has the S3 backend and Ceph installed,
#     a one-node Ceph RGW (tests/lib/ceph.sh) reached from both hosts on
#     the bridge address; otherwise the filesystem backend on one storage
#     root both hosts share (they are namespaces of one machine: the same
#     directory stands for a shared volume).  SCALE_BACKEND=fs|s3 forces one;
#   - nginx with the shipped site (deploy/nginx/fluxbase.conf) whose
#     upstream is both hosts, `fastcgi_next_upstream error timeout` (the
#     default, spelled out: idempotent requests, and any request not yet
#     sent, go to the other host when one fails), plus a second access log
#     naming the upstream(s) each request went to.
# Migrations run once, from host 1; storage-gc runs once, from host 2.
# tests/scale/load.py then drives the checks through nginx:
#   ratelimit  N sign-in attempts for one account, spread over both hosts:
#              the number let through is within 10 % of the limit;
#   kill       mixed load (reads, downloads, writes, uploads) and kill -9 of
#              every process of host 1 mid-run: every read succeeds (nginx
#              retries it on host 2), only writes in flight at the kill
#              fail, every acknowledged row and object is there afterwards
#              (objects byte-exact), storage-gc keeps them all;
#   spread     host 1 started again: nginx sends it requests again.
# SCALE_RATE_LIMIT_STORE=memory and SCALE_NEXT_UPSTREAM=off show the checks
# failing (each host counting alone; nginx not retrying).
# Everything (namespaces, bridge, processes, directory) is torn down on exit,
# failure included.  Exit 77 only when not root (namespaces need it).
set -eu
: "${top_srcdir:?}" "${FLUXBASE_BIN:?}"

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: tests/scale needs root (network namespaces, a bridge)"
	exit 77
fi
for tool in ip nginx python3; do
	command -v "$tool" >/dev/null || { echo "scale: $tool is missing" >&2; exit 1; }
done

. "$top_srcdir/tests/lib/stack.sh"
. "$top_srcdir/tests/scale/net.sh"
. "$top_srcdir/tests/scale/hosts.sh"
stack_clean_env

SCALE_WORKERS=${SCALE_WORKERS:-3}
SCALE_SIGNIN_LIMIT=${SCALE_SIGNIN_LIMIT:-20}
dir=$(mktemp -d /tmp/fluxbase-scale.XXXXXX)
chmod 755 "$dir"
ceph_started=

cleanup() {
	status=$?
	trap - EXIT INT TERM
	scale_nginx_stop
	scale_net_down
	[ -z "${STACK_DIR:-}" ] || stack_pg_stop
	[ -z "$ceph_started" ] || ceph_down "$dir/ceph" >/dev/null 2>&1 || true
	if grep -l -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$dir"/host*/log/*.log 2>/dev/null; then
		grep -h -A 20 -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$dir"/host*/log/*.log | head -n 60
		status=1
	fi
	if [ "$status" != 0 ]; then
		for f in "$dir"/host*/log/fluxbase.log "$dir"/log/nginx-error.log; do
			[ -s "$f" ] || continue
			echo "--- last lines of $f"
			tail -n 20 "$f"
		done
	fi
	if [ -n "${KEEP_STACK:-}" ]; then echo "kept $dir"; else rm -rf "$dir"; fi
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

t_start=$EPOCHREALTIME
elapsed() { awk -v a="$t_start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
export STACK_PG_FAST=1
stack_db_up "$dir"
scale_net_up 2
scale_pg_tcp
scale_backend
scale_secrets
for i in 1 2; do scale_host_conf "$i"; done

# Migrations: once, from one host (over the bridge, as a deploy would).
ip netns exec "$SCALE_NS_1" "$FLUXBASE_BIN" -c "$dir/host1/fluxbase.conf" migrate \
	>"$dir/log/migrate.log" 2>&1 || { cat "$dir/log/migrate.log" >&2; exit 1; }
stack_psql -d fluxbase -c "CREATE TABLE scale_writes (id bigserial PRIMARY KEY, tag text UNIQUE NOT NULL)"

for i in 1 2; do scale_host_start "$i"; done
scale_nginx_start
echo "scale: hosts $SCALE_ADDR_1:9000 and $SCALE_ADDR_2:9000 ($SCALE_WORKERS workers each)," \
	"PostgreSQL $SCALE_GW:$scale_pg_port, objects: $SCALE_OBJECTS, nginx 127.0.0.1:$STACK_PORT" \
	"(set up in $(elapsed) s)"

export FB_BASE="http://127.0.0.1:$STACK_PORT"
FB_SVC=$("$FLUXBASE_BIN" -c "$dir/host2/fluxbase.conf" token --role service_role)
export FB_SVC FB_SIGNIN_LIMIT=$SCALE_SIGNIN_LIMIT FB_UPSTREAM_LOG=$dir/log/upstream.log
export FB_NGINX_ERROR_LOG=$dir/log/nginx-error.log
export FB_HOST1=$SCALE_ADDR_1:9000 FB_HOST2=$SCALE_ADDR_2:9000 FB_KILL_NS=$SCALE_NS_1
export FB_PSQL="$top_srcdir/tests/lib/stack.sh $dir psql"
export FB_GC="ip netns exec $SCALE_NS_2 $FLUXBASE_BIN -c $dir/host2/fluxbase.conf storage-gc"
load=$top_srcdir/tests/scale/load.py

python3 "$load" ratelimit
python3 "$load" kill
scale_s3_no_pending_uploads
[ -z "$(ip netns pids "$SCALE_NS_1")" ] || { echo "scale: host 1 still has processes" >&2; exit 1; }
scale_host_start 1
python3 "$load" spread
echo "scale: done in $(elapsed) s"
