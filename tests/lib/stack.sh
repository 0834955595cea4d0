#!/bin/bash
# tests/lib/stack.sh - a private stack: PostgreSQL cluster, the pool, nginx.
#
# Used by script/server (state under var/) and by the integration tests
# (state in a temporary directory).  Source it and call stack_up DIR, or run
# it as a command on a stack that is up:
#     tests/lib/stack.sh DIR pg-stop | pg-start | pool-pid | down
#
# PostgreSQL refuses to run as root: when we are root it runs as the
# "postgres" user the Debian package creates, and the data and socket
# directories belong to that user.  It listens on a unix socket only
# (listen_addresses = ''), so stacks never collide on a TCP port.
#
# Settings (environment): FLUXBASE_BIN, STACK_PORT (nginx; 0 = pick a free
# one), STACK_FCGI_SOCKET (nginx's upstream when not the pool's own socket), STACK_WORKERS, STACK_MAX_REQUESTS, STACK_PG_FAST (fsync off, for
# tests), STACK_EXTRA_CONF (lines appended to the generated config),
# STACK_S3_ADDRESS (the S3 store's host:port, [storage] backend = s3:
# nginx proxies offloaded downloads from it, deploy/nginx/fluxbase-s3-*).

stack_src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# The stack is configured by its own file only: FLUXBASE_* overrides left
# in the caller's environment (say, from ". var/server.env") must not leak in.
stack_clean_env() {
	local v
	for v in $(env | sed -n 's/^\(FLUXBASE_[A-Z0-9_]*\)=.*/\1/p'); do
		[ "$v" = FLUXBASE_BIN ] || unset "$v"
	done
}

stack_log() { printf '%s\n' "stack: $*" >&2; }
stack_die() { stack_log "$*"; exit 1; }

stack_pg_bindir() {
	if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
		pg_config --bindir
		return
	fi
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && { echo "$d"; return; }
	done
	stack_die "PostgreSQL server binaries not found (apt-get install postgresql)"
}

# Runs a command as the PostgreSQL user.
stack_as_pg() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u "$STACK_PG_USER" -- "$@"
	else
		"$@"
	fi
}

# Lets PG_USER and nginx's workers reach DIR: every ancestor needs o+x.
stack_make_reachable() {
	local d=$1
	[ "$(id -u)" = 0 ] || return 0
	while [ "$d" != / ] && [ -n "$d" ]; do
		if ! runuser -u "$STACK_PG_USER" -- test -x "$d" 2>/dev/null; then
			stack_log "granting search permission (o+x) on $d so PostgreSQL and nginx can reach the stack"
			chmod o+x "$d"
		fi
		d=$(dirname "$d")
	done
}

stack_env_write() {
	cat >"$STACK_DIR/stack.env" <<EOT
STACK_DIR='$STACK_DIR'
STACK_PG_BIN='$STACK_PG_BIN'
STACK_PG_USER='$STACK_PG_USER'
STACK_PG_SUPER='$STACK_PG_SUPER'
STACK_PORT='$STACK_PORT'
FLUXBASE_BIN='$FLUXBASE_BIN'
EOT
}

stack_load() {
	STACK_DIR=$(cd "$1" && pwd) || stack_die "no stack at $1"
	[ -f "$STACK_DIR/stack.env" ] || stack_die "no stack at $1"
	. "$STACK_DIR/stack.env"
}

stack_pg_init() {
	local pgdata=$STACK_DIR/pg
	if [ ! -f "$pgdata/PG_VERSION" ]; then
		mkdir -p "$pgdata" "$STACK_DIR/pgrun" "$STACK_DIR/log/postgresql"
		if [ "$(id -u)" = 0 ]; then
			chown "$STACK_PG_USER" "$pgdata" "$STACK_DIR/pgrun" "$STACK_DIR/log/postgresql"
		fi
		chmod 700 "$pgdata"
		stack_as_pg "$STACK_PG_BIN/initdb" -D "$pgdata" -U "$STACK_PG_SUPER" \
			--auth=trust -E UTF8 --locale=C.UTF-8 >"$STACK_DIR/log/postgresql/initdb.log" 2>&1 ||
			{ cat "$STACK_DIR/log/postgresql/initdb.log" >&2; stack_die "initdb failed"; }
		{
			echo "listen_addresses = ''"
			echo "unix_socket_directories = '$STACK_DIR/pgrun'"
			echo "max_connections = 100"
			if [ -n "${STACK_PG_FAST:-}" ]; then
				echo "fsync = off"
				echo "synchronous_commit = off"
				echo "full_page_writes = off"
			fi
		} >>"$pgdata/postgresql.conf"
	fi
}

stack_pg_start() {
	stack_as_pg "$STACK_PG_BIN/pg_ctl" -D "$STACK_DIR/pg" -l "$STACK_DIR/log/postgresql/postgresql.log" \
		-w -t 60 start >/dev/null || {
		tail -n 20 "$STACK_DIR/log/postgresql/postgresql.log" >&2
		stack_die "PostgreSQL did not start"
	}
}

stack_pg_stop() {
	[ -f "$STACK_DIR/pg/postmaster.pid" ] || return 0
	stack_as_pg "$STACK_PG_BIN/pg_ctl" -D "$STACK_DIR/pg" -m fast -w -t 60 stop >/dev/null 2>&1 || true
}

stack_psql() {
	stack_as_pg "$STACK_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$STACK_DIR/pgrun" \
		-U "$STACK_PG_SUPER" "$@"
}

stack_db_create() {
	if ! stack_psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'fluxbase'" |
		grep -q 1; then
		stack_psql -d postgres -c "CREATE DATABASE fluxbase"
	fi
}

stack_port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# The first port from FROM on that nothing listens on, below the range
# the kernel hands out as the local ports of client connections: with one
# of those in use (the suites running beside us make thousands), bind fails
# even though nothing listens there.
stack_free_port() { # from
	local lo=32768 hi p
	read -r lo hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
	[ "$lo" -gt 21000 ] || lo=65536
	p=$1
	while [ "$p" -ge "$lo" ] || ! stack_port_free "$p"; do
		p=$((p + 1))
		[ "$p" -lt "$lo" ] || p=20000
	done
	echo "$p"
}

stack_pick_port() {
	local p
	if [ "${STACK_PORT:-0}" != 0 ]; then
		return
	fi
	# Never one this shell picked before: a server just stopped may still
	# hold it bound for a moment (seen with Apache after SIGTERM).
	p=$(stack_free_port "${stack_port_next:-$(( 20000 + $$ % 10000 ))}")
	STACK_PORT=$p
	stack_port_next=$((p + 1))
	stack_port_picked=1
}

stack_config() {
	local conf=$STACK_DIR/fluxbase.conf
	for secret in jwt_secret signing_key; do
		if [ ! -f "$STACK_DIR/$secret" ]; then
			(umask 077; head -c 48 /dev/urandom | base64 | tr -d '\n' >"$STACK_DIR/$secret")
		fi
	done
	cat >"$conf" <<EOT
# Generated by tests/lib/stack.sh for the stack in $STACK_DIR.
[server]
listen = $STACK_DIR/run/fluxbase.sock
listen_mode = 0666
workers = ${STACK_WORKERS:-2}
max_requests = ${STACK_MAX_REQUESTS:-10000}
stop_timeout = 5
pid_file = $STACK_DIR/run/fluxbase.pid
error_log = $STACK_DIR/log/fluxbase.log
access_log = $STACK_DIR/log/access.log
public_url = http://127.0.0.1:$STACK_PORT

[database]
url = host=$STACK_DIR/pgrun dbname=fluxbase user=authenticator
admin_url = host=$STACK_DIR/pgrun dbname=fluxbase user=$STACK_PG_SUPER
connect_timeout = 2

[auth]
jwt_secret_file = $STACK_DIR/jwt_secret

[mail]
transport = dir
dir = $STACK_DIR/mail

[storage]
root = $STACK_DIR/storage
signing_key_file = $STACK_DIR/signing_key
# nginx's workers read blobs when downloads are offloaded.
file_mode = 0644
EOT
	mkdir -p "$STACK_DIR/mail" "$STACK_DIR/storage"
	if [ -n "${STACK_EXTRA_CONF:-}" ]; then
		printf '%s\n' "$STACK_EXTRA_CONF" >>"$conf"
	fi
}

stack_pool_start() {
	local i sock=$STACK_DIR/run/fluxbase.sock
	# A session of its own: whoever started us (a test runner killing its
	# process group, a terminal) does not reach the pool; stack_down does.
	setsid "$FLUXBASE_BIN" -c "$STACK_DIR/fluxbase.conf" serve </dev/null \
		>>"$STACK_DIR/log/fluxbase.log" 2>&1 &
	i=0
	while [ ! -S "$sock" ] || [ ! -s "$STACK_DIR/run/fluxbase.pid" ]; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 $! 2>/dev/null; then
			tail -n 20 "$STACK_DIR/log/fluxbase.log" >&2
			stack_die "the pool did not start"
		fi
		sleep 0.1
	done
}

stack_pool_pid() {
	cat "$STACK_DIR/run/fluxbase.pid" 2>/dev/null
}

# The explorer: our page over swagger-ui-dist's files, when setup fetched them.
stack_explorer() {
	local dist=${FB_JS_DIR:-$stack_src/tests/js}/node_modules/swagger-ui-dist
	mkdir -p "$STACK_DIR/explorer"
	if [ -d "$dist" ]; then
		cp "$dist"/swagger-ui.css "$dist"/swagger-ui-bundle.js "$dist"/favicon-*.png \
			"$STACK_DIR/explorer/"
	fi
	cp "$stack_src/deploy/explorer/index.html" "$STACK_DIR/explorer/"
}

stack_nginx_start() {
	local i ngx=$STACK_DIR/nginx
	mkdir -p "$ngx/tmp"
	stack_explorer
	cp /etc/nginx/fastcgi_params /etc/nginx/mime.types "$ngx/"
	sed -e "s|@LISTEN@|127.0.0.1:$STACK_PORT|" \
		-e "s|@FLUXBASE_SOCKET@|${STACK_FCGI_SOCKET:-$STACK_DIR/run/fluxbase.sock}|" \
		-e "s|@ACCESS_LOG@|$STACK_DIR/log/nginx-access.log|" \
		-e "s|@STORAGE_ROOT@|$STACK_DIR/storage|" \
		-e "s|@EXPLORER_ROOT@|$STACK_DIR/explorer|" \
		"$stack_src/deploy/nginx/fluxbase.conf" >"$ngx/site.conf"
	# [storage] backend = s3 (STACK_S3_ADDRESS, the store's host:port):
	# offloaded downloads proxied from the store, as deploy/nginx says.
	if [ -n "${STACK_S3_ADDRESS:-}" ]; then
		sed -i "s|^    # include fluxbase-s3-offload.conf;|    include $stack_src/deploy/nginx/fluxbase-s3-offload.conf;|" \
			"$ngx/site.conf"
		sed "s|@S3_ADDRESS@|$STACK_S3_ADDRESS|" "$stack_src/deploy/nginx/fluxbase-s3-upstream.conf" \
			>"$ngx/s3-upstream.conf"
	fi
	cat >"$ngx/nginx.conf" <<EOT
# Generated by tests/lib/stack.sh: a private nginx around deploy/nginx/fluxbase.conf.
worker_processes 2;
pid $ngx/nginx.pid;
error_log $STACK_DIR/log/nginx-error.log;
# A few thousand clients at once: each takes two connections (the client's
# and the one to the pool) in the worker that accepted it.
worker_rlimit_nofile 16384;
events { worker_connections 8192; }
http {
    include $ngx/mime.types;
    default_type application/octet-stream;
    access_log $STACK_DIR/log/nginx-access.log;
    client_body_temp_path $ngx/tmp/body;
    fastcgi_temp_path $ngx/tmp/fastcgi;
    proxy_temp_path $ngx/tmp/proxy;
    uwsgi_temp_path $ngx/tmp/uwsgi;
    scgi_temp_path $ngx/tmp/scgi;
    include $ngx/site.conf;
EOT
	if [ -n "${STACK_NGINX_EXTRA:-}" ]; then
		echo "    include $STACK_NGINX_EXTRA;" >>"$ngx/nginx.conf"
	fi
	if [ -n "${STACK_S3_ADDRESS:-}" ]; then
		echo "    include $ngx/s3-upstream.conf;" >>"$ngx/nginx.conf"
	fi
	echo "}" >>"$ngx/nginx.conf"
	nginx -p "$ngx" -c "$ngx/nginx.conf" -t >"$STACK_DIR/log/nginx-test.log" 2>&1 ||
		{ cat "$STACK_DIR/log/nginx-test.log" >&2; stack_die "nginx rejected its config"; }
	if ! nginx -p "$ngx" -c "$ngx/nginx.conf" 2>>"$STACK_DIR/log/nginx-error.log"; then
		# A port picked for us may have been taken in the meantime: next one.
		if [ -n "${stack_port_picked:-}" ] && [ "${stack_port_tries:-0}" -lt 20 ]; then
			stack_port_tries=$(( ${stack_port_tries:-0} + 1 ))
			STACK_PORT=$((STACK_PORT + 1 + RANDOM % 100))
			stack_env_write
			stack_nginx_start
			return
		fi
		stack_die "nginx did not start (is port $STACK_PORT taken?)"
	fi
	i=0
	until [ -s "$ngx/nginx.pid" ] && ! stack_port_free "$STACK_PORT"; do
		i=$((i + 1))
		[ $i -gt 50 ] && stack_die "nginx is not answering on port $STACK_PORT"
		sleep 0.1
	done
}

stack_nginx_stop() {
	local i pidf=$STACK_DIR/nginx/nginx.pid
	[ -s "$pidf" ] || return 0
	kill -QUIT "$(cat "$pidf")" 2>/dev/null || true
	i=0
	while [ -s "$pidf" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
}

stack_pool_stop() {
	local i pid=$(stack_pool_pid)
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	kill -KILL "$pid" 2>/dev/null || true
}

# stack_db_up DIR: PostgreSQL with the database, a config and a port picked
# for the web server (not yet bound), from nothing or from a previous run.
stack_db_up() {
	mkdir -p "$1"
	STACK_DIR=$(cd "$1" && pwd)
	mkdir -p "$STACK_DIR/log" "$STACK_DIR/run"
	chmod 755 "$STACK_DIR" "$STACK_DIR/run"
	: "${FLUXBASE_BIN:?FLUXBASE_BIN must name the fluxbase-fcgi binary}"
	STACK_PG_BIN=$(stack_pg_bindir)
	if [ "$(id -u)" = 0 ]; then
		STACK_PG_USER=${STACK_PG_USER:-postgres}
		id "$STACK_PG_USER" >/dev/null 2>&1 ||
			stack_die "user $STACK_PG_USER is missing (it comes with the postgresql package)"
	else
		STACK_PG_USER=$(id -un)
	fi
	STACK_PG_SUPER=fluxbase_owner
	stack_make_reachable "$STACK_DIR"
	stack_pick_port
	stack_env_write
	stack_pg_init
	stack_pg_start
	stack_db_create
}

stack_migrate() {
	stack_config
	"$FLUXBASE_BIN" -c "$STACK_DIR/fluxbase.conf" migrate >>"$STACK_DIR/log/migrate.log" 2>&1 ||
		{ cat "$STACK_DIR/log/migrate.log" >&2; stack_die "migrate failed"; }
}

# stack_up DIR: everything, from nothing or from a previous run's DIR.
stack_up() {
	stack_db_up "$1"
	# nginx first: the port is final once it listens, and the config
	# written next names it.
	stack_nginx_start
	stack_migrate
	stack_pool_start
}

stack_down() {
	stack_nginx_stop
	stack_pool_stop
	stack_pg_stop
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	[ $# -ge 2 ] || { echo "usage: $0 DIR pg-stop|pg-start|pool-start|pool-pid|psql|down" >&2; exit 2; }
	stack_load "$1"
	cmd=$2
	shift 2
	case $cmd in
	pg-stop) stack_pg_stop ;;
	pg-start) stack_pg_start ;;
	pool-start) stack_pool_start ;;
	pool-pid) stack_pool_pid ;;
	psql) stack_psql -d fluxbase "$@" ;;
	down) stack_down ;;
	*) echo "unknown command $cmd" >&2; exit 2 ;;
	esac
fi
