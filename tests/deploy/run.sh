#!/bin/bash
# tests/deploy/run.sh [VARIANT...] - every way of running fluxbase-fcgi that
# deploy/ ships, started for real with the shipped file (placeholders filled
# in) on a free port, each passing tests/deploy/smoke.sh through the web
# server in front:
# Each web server's own errors are checked too (smoke.sh), and where the
# pool runs apart from it, the answer while the pool is stopped (503).
# lighttpd's own errors, made JSON by deploy/lighttpd/fluxbase-errors.lua,
# are checked status by status (lighttpd_errors), and both lighttpd
# variants answer a pool they cannot reach with a JSON 503 and Retry-After.
#   nginx               nginx + the pool (deploy/nginx), plus a logrotate run
#   apache-proxy-fcgi   Apache + mod_proxy_fcgi + the pool
#   apache-fcgid        Apache + mod_fcgid spawning the binary (fd 0)
#   lighttpd-socket     lighttpd + mod_fastcgi + the pool
#   lighttpd-spawn      lighttpd + mod_fastcgi spawning the binary (bin-path)
#   spawn-fcgi          nginx + spawn-fcgi + multiwatch, no master of ours
#   systemd             the service and socket units: systemd-analyze verify,
#                       then the unit's ExecStartPre/ExecStart on the socket
#                       unit's ListenStream via systemd-socket-activate, nginx;
#                       the unit's sandbox rules checked on an strace of it
#                       (tests/deploy/hardening.py)
# A web server that is missing is installed from Debian's packages
# (script/setup --packages, as root or with sudo).
# All logs are written as JSON lines (log_format = json) and every line of
# them must parse.
set -eu
: "${top_srcdir:?}" "${top_builddir:?}" "${FLUXBASE_BIN:?}"
. "$top_srcdir/tests/lib/stack.sh"
stack_clean_env

all="nginx apache-proxy-fcgi apache-fcgid lighttpd-socket lighttpd-spawn spawn-fcgi systemd"
variants=${*:-${DEPLOY_VARIANTS:-$all}}
deploy=$top_srcdir/deploy
root=0
[ "$(id -u)" = 0 ] && root=1

# ---- packages -----------------------------------------------------------
need_pkgs=()
need() { # need COMMAND-OR-FILE PACKAGE
	if ! command -v "$1" >/dev/null 2>&1 && [ ! -e "$1" ]; then
		need_pkgs+=("$2")
	fi
}
for v in $variants; do
	case $v in
	apache-*) need /usr/sbin/apache2 apache2 ;;
	esac
	case $v in
	apache-fcgid) need /usr/lib/apache2/modules/mod_fcgid.so libapache2-mod-fcgid ;;
	lighttpd-*) need /usr/sbin/lighttpd lighttpd; need /usr/lib/lighttpd/mod_magnet.so lighttpd-modules-lua ;;
	spawn-fcgi) need spawn-fcgi spawn-fcgi; need multiwatch multiwatch ;;
	systemd) need systemd-socket-activate systemd; need systemd-analyze systemd; need strace strace ;;
	nginx) need logrotate logrotate ;;
	esac
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
	echo "deploy: installing ${need_pkgs[*]}"
	"$top_srcdir/script/setup" --packages
fi

# ---- the shared stack: PostgreSQL, database, fixture ---------------------
dir=$(mktemp -d /tmp/fluxbase-deploy.XXXXXX)
current=
server_pids=()
stop_current() {
	local pid i
	[ -n "$current" ] || return 0
	for pid in "${server_pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${server_pids[@]}"; do
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
		kill -KILL "$pid" 2>/dev/null || true
	done
	server_pids=()
	stack_nginx_stop
	stack_pool_stop
	current=
}
cleanup() {
	status=$?
	trap - EXIT INT TERM
	stop_current
	stack_pg_stop
	if grep -l -E "ERROR: (Address|Leak)Sanitizer|runtime error:" -r "$dir" --include='*.log' \
		2>/dev/null; then
		echo "deploy: sanitizer reports in the logs above"
		status=1
	fi
	if [ "$status" != 0 ]; then
		for f in $(find "$dir" -name '*.log' -newer "$dir/stack.env" 2>/dev/null | grep -v postgresql); do
			echo "--- $f"
			tail -n 15 "$f"
		done
	fi
	if [ -n "${KEEP_STACK:-}" ]; then echo "kept $dir"; else rm -rf "$dir"; fi
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export STACK_PG_FAST=1 STACK_WORKERS=2
export STACK_EXTRA_CONF='[server]
log_format = json
[auth]
password_ops_limit = 1
password_mem_limit = 8M'
stack_db_up "$dir"
stack_migrate
"$top_srcdir/tests/lib/stack.sh" "$dir" psql -q <"$top_srcdir/tests/integration/fixture.sql" >/dev/null
svc=$("$FLUXBASE_BIN" -c "$dir/fluxbase.conf" token --role service_role)

# Processes the web server spawns run as its user (www-data when we are
# root): they get a config of their own, with copies of the secrets, their
# own storage root and logs, all owned by that user.
web_user=www-data
wdir=$dir/www
mkdir -p "$wdir/log" "$wdir/storage" "$wdir/mail" "$wdir/sock" "$wdir/fcgid"
cp "$dir/jwt_secret" "$dir/signing_key" "$wdir/"
touch "$wdir/log/fluxbase.log" "$wdir/log/access.log"
sed -e "s|$dir/log/|$wdir/log/|g" -e "s|$dir/storage|$wdir/storage|" -e "s|$dir/mail|$wdir/mail|" \
	-e "s|$dir/jwt_secret|$wdir/jwt_secret|" -e "s|$dir/signing_key|$wdir/signing_key|" \
	-e '/^pid_file/d' "$dir/fluxbase.conf" >"$wdir/fluxbase.conf"
if [ $root = 1 ]; then
	chown -R "$web_user:$web_user" "$wdir"
	# The binary must be reachable by the web server's user.
	stack_make_reachable "$(dirname "$FLUXBASE_BIN")"
fi

render() { # render FILE [sed args]: the shipped file with its placeholders filled in
	local f=$1
	shift
	sed -e "s|@EXPLORER_ROOT@|$dir/explorer|g" -e "s|@FLUXBASE_BIN@|$FLUXBASE_BIN|g" \
		-e "s|@FLUXBASE_CONF@|$wdir/fluxbase.conf|g" "$@" "$f"
}

# wait_until WHAT COMMAND...: COMMAND succeeds within 10 s, or WHAT failed.
wait_until() {
	local what=$1 i=0
	shift
	until "$@"; do
		i=$((i + 1))
		[ $i -gt 100 ] && { echo "deploy [$current]: $what" >&2; return 1; }
		sleep 0.1
	done
}
port_taken() { ! stack_port_free "$1"; }
wait_port() { wait_until "nothing listens on port $1" port_taken "$1"; }
wait_file() { wait_until "$1 did not appear" test -s "$1"; }

# Every line of the pool's logs is a JSON object.
check_json_logs() {
	local f
	for f in "$@"; do
		[ -s "$f" ] || continue
		python3 -c '
import json, sys
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    try:
        o = json.loads(line)
        assert isinstance(o, dict) and "time" in o and "pid" in o
    except Exception as e:
        sys.exit("%s:%d: not a JSON log line (%s): %s" % (sys.argv[1], n, e, line[:200]))
' "$f"
	done
}

# The smoke suite's requests went through the binary we think served them.
served_by_us() {
	grep -q '"path":"/api/v1/auth/user"' "$1" ||
		{ echo "deploy [$current]: $1 shows no request of the smoke suite" >&2; return 1; }
}

# The pool stopped: the web server answers 503, never 502, in the JSON
# error shape with Retry-After where it can (json = 1).
pool_down_503() { # pool_down_503 JSON
	stack_pool_stop
	answer_503 "$1"
}
answer_503() { # answer_503 JSON: the pool cannot be reached; the answer is a 503
	local out
	out=$(curl -sS -D "$dir/down.head" -o "$dir/down.body" -w '%{http_code} %{content_type}' \
		"http://127.0.0.1:$port/api/v1/health")
	[ "${out%% *}" = 503 ] || { echo "deploy [$current]: pool stopped: status ${out%% *}, expected 503" >&2; return 1; }
	[ "$1" = 1 ] || return 0
	case ${out#* } in application/json*) ;; *)
		echo "deploy [$current]: pool stopped: Content-Type ${out#* }" >&2; return 1 ;;
	esac
	grep -q '"code":"UNAVAILABLE"' "$dir/down.body" && grep -qi '^retry-after: *[0-9]' "$dir/down.head" ||
		{ echo "deploy [$current]: pool stopped: $(cat "$dir/down.head" "$dir/down.body")" >&2; return 1; }
}

smoke() {
	"$top_srcdir/tests/deploy/smoke.sh" "http://127.0.0.1:$port/api/v1" "$svc" "$current"
}

pick_port() {
	STACK_PORT=0
	stack_pick_port
	port=$STACK_PORT
}

apache_start() { # apache_start MODULE... : site.conf is in $adir
	local m mods=/usr/lib/apache2/modules
	{
		echo "DefaultRuntimeDir $adir"
		echo "PidFile $adir/apache.pid"
		echo "Mutex file:$adir default"
		echo "ErrorLog $adir/error.log"
		echo "LogLevel warn"
		echo "Listen 127.0.0.1:$port"
		echo "ServerName localhost"
		if [ $root = 1 ]; then echo "User $web_user"; echo "Group $web_user"; fi
		for m in mpm_event authz_core alias headers "$@"; do
			echo "LoadModule ${m}_module $mods/mod_$m.so"
		done
		echo "DocumentRoot $adir/htdocs"
		echo "<IfModule fcgid_module>"
		echo "    FcgidIPCDir $wdir/fcgid"
		echo "    FcgidProcessTableFile $wdir/fcgid/shm"
		echo "</IfModule>"
		echo "Include $adir/site.conf"
	} >"$adir/httpd.conf"
	mkdir -p "$adir/htdocs"
	/usr/sbin/apache2 -f "$adir/httpd.conf" -t >"$adir/configtest.log" 2>&1 ||
		{ cat "$adir/configtest.log" >&2; return 1; }
	/usr/sbin/apache2 -f "$adir/httpd.conf" -k start
	wait_port "$port"
	wait_file "$adir/apache.pid"
	server_pids+=("$(cat "$adir/apache.pid")")
}

# lighttpd's own errors, each with its status and code in the JSON error
# shape (deploy/lighttpd/fluxbase-errors.lua), no Server header, no HTML:
# one raw request per case ({pad} stands for 64 KiB).  The pool's own
# error (code None) passes untouched, not in the script's words.
lighttpd_errors() {
	python3 - "$port" "$current" <<'EOT'
import re, socket, sys
port, name = int(sys.argv[1]), sys.argv[2]
pad = "a" * 65536
cases = [
    (404, "NOT_FOUND", "GET /no/such/path HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    (404, "NOT_FOUND", "GET /api/v1/docs/no-such-file.js HTTP/1.0\r\n\r\n"),
    (431, "HEADERS_TOO_LARGE", "GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Padding: {pad}\r\n\r\n"),
    (431, "HEADERS_TOO_LARGE", "GET /api/v1/health?{pad} HTTP/1.1\r\nHost: x\r\n\r\n"),
    (400, "INVALID_REQUEST", "GET /api/v1/health HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n"),
    (400, "INVALID_REQUEST", "GET /api/v1/health HTTP/1.1\r\n\r\n"),
    (400, "INVALID_REQUEST", "GARBAGE\r\n\r\n"),
    (411, "LENGTH_REQUIRED", "POST /api/v1/auth/signin HTTP/1.0\r\n\r\n"),
    (501, "NOT_IMPLEMENTED", "FOO /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    (505, "HTTP_VERSION_NOT_SUPPORTED", "GET /api/v1/health HTTP/1.2\r\nHost: x\r\n\r\n"),
    (401, None, "GET /api/v1/auth/user HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    # A body read whole: over 16 MiB refused from its length alone; a
    # storage upload streams to the pool, which answers first (no such
    # bucket).
    (413, "PAYLOAD_TOO_LARGE", "POST /api/v1/auth/signin HTTP/1.1\r\nHost: x\r\n"
        "Content-Length: 17000000\r\nConnection: close\r\n\r\n"),
    (404, None, "POST /api/v1/storage/b1/big.bin HTTP/1.1\r\nHost: x\r\n"
        "Content-Length: 17000000\r\nConnection: close\r\n\r\n"),
]
bad = []
for status, code, req in cases:
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        s.sendall(req.replace("{pad}", pad).encode())
    except OSError:
        pass  # refused early: the answer is still there to read
    data = b""
    try:
        while True:
            c = s.recv(65536)
            if not c:
                break
            data += c
    except OSError:
        pass
    s.close()
    head, _, body = data.decode("latin-1").partition("\r\n\r\n")
    lines = head.split("\r\n")
    m = re.match(r"HTTP/1\.[01] (\d{3})", lines[0])
    hdrs = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
    what = "%s (%s)" % (req[:40].replace("\r\n", " "), status)
    if not m or int(m.group(1)) != status:
        bad.append("%s: answered %r" % (what, lines[0]))
    elif not hdrs.get("content-type", "").startswith("application/json"):
        bad.append("%s: Content-Type %r: %s" % (what, hdrs.get("content-type"), body[:200]))
    elif code is None and ('"code"' not in body or "The request was refused" in body):
        bad.append("%s: not the pool's own answer: %s" % (what, body[:200]))
    elif code and (('"code":"%s"' % code) not in body or not body.startswith('{"error":"')):
        bad.append("%s: expected code %s: %s" % (what, code, body[:200]))
    elif "server" in hdrs or re.search("lighttpd|<html", body, re.I):
        bad.append("%s: names the server: %s %s" % (what, hdrs.get("server"), body[:200]))
for b in bad:
    print("deploy [%s]: lighttpd's own error: %s" % (name, b), file=sys.stderr)
sys.exit(1 if bad else 0)
EOT
}

lighttpd_start() { # site.conf is in $ldir, naming $ldir/fluxbase-errors.lua
	mkdir -p "$ldir/htdocs" "$ldir/tmp"
	cp "$deploy/lighttpd/fluxbase-errors.lua" "$ldir/"
	# lighttpd opens its logs after it dropped its privileges.
	[ $root = 1 ] && chown "$web_user" "$ldir" "$ldir/tmp"
	{
		echo "server.document-root = \"$ldir/htdocs\""
		echo "server.bind = \"127.0.0.1\""
		echo "server.port = $port"
		echo "server.pid-file = \"$ldir/lighttpd.pid\""
		echo "server.errorlog = \"$ldir/error.log\""
		echo "server.upload-dirs = ( \"$ldir/tmp\" )"
		if [ $root = 1 ]; then
			echo "server.username = \"$web_user\""
			echo "server.groupname = \"$web_user\""
		fi
		echo "include \"$ldir/site.conf\""
	} >"$ldir/lighttpd.conf"
	lighttpd -tt -f "$ldir/lighttpd.conf" >"$ldir/configtest.log" 2>&1 ||
		{ cat "$ldir/configtest.log" >&2; return 1; }
	lighttpd -f "$ldir/lighttpd.conf"
	wait_port "$port"
	wait_file "$ldir/lighttpd.pid"
	server_pids+=("$(cat "$ldir/lighttpd.pid")")
}

# ---- the variants ---------------------------------------------------------

variant_nginx() {
	pick_port
	stack_nginx_start
	port=$STACK_PORT
	stack_pool_start
	smoke
	served_by_us "$dir/log/access.log"
	# deploy/logrotate: rotate the pool's logs, SIGUSR1 makes it reopen them.
	render "$deploy/logrotate/fluxbase-fcgi.in" \
		-e "s|@localstatedir@/log/fluxbase/\*.log|$dir/log/fluxbase.log $dir/log/access.log|" \
		-e "s|@runstatedir@/fluxbase/fluxbase.pid|$dir/run/fluxbase.pid|" >"$dir/logrotate.conf"
	logrotate -f -s "$dir/logrotate.state" "$dir/logrotate.conf"
	[ -s "$dir/log/access.log.1" ] || { echo "deploy [nginx]: logrotate did not rotate" >&2; return 1; }
	sleep 0.5
	curl -sS -o /dev/null "http://127.0.0.1:$port/api/v1/health?after-rotation"
	wait_until "the pool did not reopen its access log after rotation" \
		grep -q '"path":"/api/v1/health"' "$dir/log/access.log"
	check_json_logs "$dir/log/fluxbase.log" "$dir/log/access.log" "$dir/log/access.log.1"
	pool_down_503 1
}

variant_apache_proxy_fcgi() {
	adir=$dir/apache-proxy
	mkdir -p "$adir"
	pick_port
	stack_pool_start
	render "$deploy/apache/fluxbase-proxy-fcgi.conf" -e "s|@LISTEN@|127.0.0.1:$port|" \
		-e "s|@FLUXBASE_SOCKET@|$dir/run/fluxbase.sock|" -e "s|@ACCESS_LOG@|$adir/access.log|" \
		>"$adir/site.conf"
	apache_start proxy proxy_fcgi
	smoke
	served_by_us "$dir/log/access.log"
	check_json_logs "$dir/log/fluxbase.log" "$dir/log/access.log"
	pool_down_503 1
}

variant_apache_fcgid() {
	adir=$dir/apache-fcgid
	mkdir -p "$adir"
	pick_port
	render "$deploy/apache/fluxbase-fcgid.conf" -e "s|@LISTEN@|127.0.0.1:$port|" \
		-e "s|@ACCESS_LOG@|$adir/access.log|" >"$adir/site.conf"
	: >"$wdir/log/access.log"
	apache_start fcgid
	smoke
	served_by_us "$wdir/log/access.log"
	check_json_logs "$wdir/log/fluxbase.log" "$wdir/log/access.log"
}

variant_lighttpd_socket() {
	ldir=$dir/lighttpd-socket
	mkdir -p "$ldir"
	pick_port
	stack_pool_start
	render "$deploy/lighttpd/fluxbase-socket.conf" -e "s|@FLUXBASE_SOCKET@|$dir/run/fluxbase.sock|" \
		-e "s|@ACCESS_LOG@|$ldir/access.log|" -e "s|@ERRORS_SCRIPT@|$ldir/fluxbase-errors.lua|" \
		>"$ldir/site.conf"
	lighttpd_start
	smoke
	lighttpd_errors
	served_by_us "$dir/log/access.log"
	check_json_logs "$dir/log/fluxbase.log" "$dir/log/access.log"
	pool_down_503 1
}

variant_lighttpd_spawn() {
	ldir=$dir/lighttpd-spawn
	mkdir -p "$ldir"
	pick_port
	render "$deploy/lighttpd/fluxbase-spawn.conf" -e "s|@SOCKET_DIR@|$wdir/sock|" \
		-e "s|@ACCESS_LOG@|$ldir/access.log|" -e "s|@ERRORS_SCRIPT@|$ldir/fluxbase-errors.lua|" \
		>"$ldir/site.conf"
	: >"$wdir/log/access.log"
	lighttpd_start
	smoke
	lighttpd_errors
	served_by_us "$wdir/log/access.log"
	check_json_logs "$wdir/log/fluxbase.log" "$wdir/log/access.log"
	# lighttpd owns these processes (it would restart one that died): their
	# sockets gone, it cannot reach any of them, as with a pool down.
	rm -f "$wdir/sock/fluxbase.sock"-*
	answer_503 1
}

variant_spawn_fcgi() {
	local sock=$wdir/sock/spawn.sock mw pid
	pick_port
	: >"$wdir/log/access.log"
	SOCKET=$sock WORKERS=2 SOCKET_MODE=0666 BIN=$FLUXBASE_BIN CONF=$wdir/fluxbase.conf \
		RUN_USER=$web_user RUN_GROUP=$web_user \
		setsid "$deploy/spawn-fcgi/fluxbase-spawn-fcgi" >"$dir/log/spawn-fcgi.log" 2>&1 &
	mw=$!
	server_pids+=("$mw")
	children() { [ "$(pgrep -P "$mw" | grep -vx "${1:-0}" | wc -l)" = 2 ]; }
	wait_until "the workers did not start" eval '[ -S "$sock" ] && children'

	STACK_FCGI_SOCKET=$sock stack_nginx_start
	port=$STACK_PORT
	smoke
	served_by_us "$wdir/log/access.log"
	# multiwatch respawns a worker that dies.
	pid=$(pgrep -P "$mw" | head -n 1)
	kill -KILL "$pid"
	wait_until "multiwatch did not respawn the killed worker" children "$pid"
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/v1/health")" = 200 ] ||
		{ echo "deploy [spawn-fcgi]: no answer after the respawn" >&2; return 1; }
	check_json_logs "$wdir/log/fluxbase.log" "$wdir/log/access.log"
	# TERM to multiwatch stops the workers and itself, promptly.
	kill -TERM "$mw"
	wait_until "SIGTERM did not stop multiwatch and its workers" eval '! kill -0 "$mw" 2>/dev/null'

	wait "$mw" 2>/dev/null || true
}

variant_systemd() {
	local sdir=$dir/systemd sock listen pre exec
	mkdir -p "$sdir/sbin" "$sdir/etc" "$sdir/run"
	ln -sf "$FLUXBASE_BIN" "$sdir/sbin/fluxbase-fcgi"
	cp "$dir/fluxbase.conf" "$sdir/etc/fluxbase.conf"
	sock=$sdir/run/fluxbase.sock
	for u in service socket; do
		sed -e "s|@sbindir@|$sdir/sbin|g" -e "s|@sysconfdir@|$sdir/etc|g" \
			-e "s|@localstatedir@|$sdir/var|g" -e "s|/run/fluxbase/fluxbase.sock|$sock|" \
			"$deploy/systemd/fluxbase-fcgi.$u.in" >"$sdir/fluxbase-fcgi.$u"
	done
	# The units as systemd reads them (syntax, directives, executables).
	SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no \
		"$sdir/fluxbase-fcgi.service" "$sdir/fluxbase-fcgi.socket" >"$sdir/verify.log" 2>&1 || {
		cat "$sdir/verify.log" >&2
		return 1
	}
	pre=$(sed -n 's/^ExecStartPre=//p' "$sdir/fluxbase-fcgi.service")
	exec=$(sed -n 's/^ExecStart=//p' "$sdir/fluxbase-fcgi.service")
	listen=$(sed -n 's/^ListenStream=//p' "$sdir/fluxbase-fcgi.socket")
	[ "$listen" = "$sock" ] || { echo "deploy [systemd]: unexpected ListenStream $listen" >&2; return 1; }
	$pre >"$sdir/check-config.log" 2>&1 || { cat "$sdir/check-config.log" >&2; return 1; }
	# The socket unit's part: systemd creates the socket and passes it as
	# fd 3 (LISTEN_FDS) to the service's ExecStart on the first connection.
	sed -i -e '/^pid_file/d' "$sdir/etc/fluxbase.conf"
	# Under strace: tests/deploy/hardening.py then checks what the unit's
	# sandbox would refuse against what the pool really did.
	setsid systemd-socket-activate -l "$listen" strace -D -f -qq -o "$sdir/strace.log" $exec \
		>>"$sdir/socket-activate.log" 2>&1 &
	server_pids+=("$!")
	wait_until "systemd-socket-activate made no socket" test -S "$sock"
	chmod 0666 "$sock"
	pick_port
	STACK_FCGI_SOCKET=$sock stack_nginx_start
	port=$STACK_PORT
	smoke
	served_by_us "$dir/log/access.log"
	grep -q 'listening on the socket passed by systemd' "$dir/log/fluxbase.log" ||
		{ echo "deploy [systemd]: the pool did not take systemd's socket" >&2; return 1; }
	stop_current
	python3 "$top_srcdir/tests/deploy/hardening.py" "$sdir/fluxbase-fcgi.service" \
		"$sdir/strace.log" "$dir/storage/" "$dir/log/" "$dir/run/" "$dir/mail/" "$sdir/run/"
	check_json_logs "$dir/log/fluxbase.log" "$dir/log/access.log"
}

for v in $variants; do
	fn=variant_${v//-/_}
	declare -F "$fn" >/dev/null || { echo "deploy: unknown variant $v (known: $all)" >&2; exit 2; }
	current=$v
	"$fn"
	stop_current
done
echo "deploy: passed: $variants"
