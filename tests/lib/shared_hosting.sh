#!/bin/bash
# shellcheck disable=SC2034 # STACK_* are read by tests/lib/stack.sh, sourced beside this file
# tests/lib/shared_hosting.sh - a real shared host, built from Debian's
# packages: used by tests/shared-hosting/run.sh and by
# script/server --shared-hosting.  Source tests/lib/stack.sh first.
#
# The pieces, as a shared host has them:
# - a Unix user with a home and public_html (useradd).  The home lives
#   under /var/www: Debian's apache2-suexec-pristine has its docroot,
#   /var/www, compiled in, and suexec runs nothing outside it.  We chose
#   pristine over apache2-suexec-custom because custom reads its docroot
#   from /etc/apache2/suexec/www-data, a system file we would have to
#   change (and restore); pristine needs nothing changed outside our own
#   directories.  suexec also demands that its caller is www-data, so our
#   Apache runs its children as www-data (we start it as root).
# - PostgreSQL (the stack's private cluster), reached over TCP on a free
#   127.0.0.1 port, with the panel's login: a role NOSUPERUSER NOCREATEROLE
#   NOCREATEDB NOBYPASSRLS, with a password that pg_hba.conf demands
#   (scram-sha-256), owning database "site".
# - the bundle, unpacked by that user in the home; fluxbase-setup-site run
#   by that user with that login.
# - Apache 2.4 + mod_fcgid + mod_rewrite + mod_headers + mod_suexec: a
#   vhost with DocumentRoot = public_html, SuexecUserGroup = the user,
#   AllowOverride All, and the host's own mod_fcgid settings; nothing about
#   fluxbase in the server config (the .htaccess does it all).
# - Apache and every process it spawns, and setup-site, run in a mount
#   namespace (unshare -m) where /dev/null is bound over the system's
#   copies of every library the build host's binary loads beyond glibc
#   (libfcgi, json-c, libjwt, libsodium, libpq and what they pull in): only
#   a self-contained bundle works there.
#
# State: SH_DIR (root's: PostgreSQL, Apache's config and logs), the user's
# home.  Variables set: SH_USER SH_HOME SH_PUBLIC SH_PG_PORT SH_DB_URL
# SH_PORT SH_BUNDLE SH_BIN SH_CONF SH_HIDDEN.

sh_log() { printf '%s\n' "shared-hosting: $*" >&2; }
sh_die() { sh_log "$*"; exit 1; }

# sh_user_create NAME: the site's user, its home under /var/www.
sh_user_create() {
	SH_USER=$1
	SH_HOME=/var/www/$1
	SH_PUBLIC=$SH_HOME/public_html
	if ! id "$SH_USER" >/dev/null 2>&1; then
		mkdir -p /var/www
		useradd --create-home --home-dir "$SH_HOME" --shell /bin/bash --user-group "$SH_USER" ||
			sh_die "useradd $SH_USER failed"
	fi
	# Apache (www-data) reaches public_html; nobody else reads the home.
	chmod 711 "$SH_HOME"
	runuser -u "$SH_USER" -- mkdir -p "$SH_PUBLIC"
	chmod 755 "$SH_PUBLIC"
}

# sh_user_delete: the user, its processes (spawned by our Apache, stopped
# with it) and its home.
sh_user_delete() {
	local i=0
	[ -n "${SH_USER:-}" ] && id "$SH_USER" >/dev/null 2>&1 || return 0
	while pgrep -u "$SH_USER" >/dev/null 2>&1 && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	userdel --remove "$SH_USER" 2>/dev/null || userdel "$SH_USER" || true
	rm -rf "$SH_HOME"
}

# sh_as_user CMD...: CMD as the site's user in its home, with a login's
# clean environment, inside the namespace without the libraries when
# SH_HIDDEN is set.
sh_as_user() {
	local uid gid
	uid=$(id -u "$SH_USER")
	gid=$(id -g "$SH_USER")
	(cd "$SH_HOME" && sh_hidden setpriv --reuid="$uid" --regid="$gid" --init-groups \
		env -i HOME="$SH_HOME" USER="$SH_USER" LOGNAME="$SH_USER" PATH=/usr/bin:/bin \
		LANG=C.UTF-8 "$@")
}

# sh_hide_libs BINARY: the real files of the system's libraries that
# BINARY (the build host's dynamic binary) loads, glibc's own and the
# compiler's runtime left out (Apache's threads need libgcc_s, which a
# sanitizer build's libasan pulls in).
sh_hide_libs() {
	ldd "$1" | awk '$3 ~ /^\// { print $3 }' |
		grep -Ev '/(libc|libm|libdl|libpthread|librt|libresolv|libgcc_s|libstdc\+\+)\.so|/ld-linux' |
		xargs -r readlink -f | sort -u
}

# sh_hidden CMD...: CMD in a new mount namespace with /dev/null bound over
# each of SH_HIDDEN (a list of library files), or plainly when empty.
sh_hidden() {
	if [ -z "${SH_HIDDEN:-}" ]; then
		"$@"
		return
	fi
	SH_HIDDEN=$SH_HIDDEN unshare --mount --propagation private -- /bin/bash -c '
		for f in $SH_HIDDEN; do mount --bind /dev/null "$f" || exit 1; done
		exec "$@"' sh_hidden "$@"
}

# sh_pg_up: the private cluster in SH_DIR on a free TCP port, the panel's
# role and database; SH_DB_URL is that login.
sh_pg_up() {
	local pw hba
	STACK_DIR=$SH_DIR
	mkdir -p "$SH_DIR/log" "$SH_DIR/run"
	chmod 755 "$SH_DIR"
	STACK_PG_BIN=$(stack_pg_bindir)
	STACK_PG_USER=postgres
	STACK_PG_SUPER=fluxbase_owner
	STACK_PORT=${SH_PORT:-0}
	: "${FLUXBASE_BIN:=${SH_BIN:-none}}"
	id "$STACK_PG_USER" >/dev/null 2>&1 || sh_die "user postgres is missing (apt-get install postgresql)"
	stack_make_reachable "$SH_DIR"
	stack_env_write
	if [ ! -f "$SH_DIR/pg/PG_VERSION" ]; then
		stack_pg_init
		SH_PG_PORT=$(stack_free_port $((25432 + $$ % 5000)))
		printf "listen_addresses = '127.0.0.1'\nport = %s\n" "$SH_PG_PORT" >>"$SH_DIR/pg/postgresql.conf"
		hba=$SH_DIR/pg/pg_hba.conf
		# The panel's login needs its password; the test's superuser
		# (local socket, trust) stays as initdb made it.
		{
			echo "local all site scram-sha-256"
			echo "host all site 127.0.0.1/32 scram-sha-256"
			cat "$hba"
		} >"$hba.new"
		mv "$hba.new" "$hba"
		chown "$STACK_PG_USER" "$hba"
	fi
	SH_PG_PORT=$(sed -n 's/^port = \([0-9]*\)$/\1/p' "$SH_DIR/pg/postgresql.conf" | tail -n 1)
	export PGPORT=$SH_PG_PORT
	stack_pg_start
	if [ ! -s "$SH_DIR/db_password" ]; then
		(umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=\n' >"$SH_DIR/db_password")
	fi
	pw=$(cat "$SH_DIR/db_password")
	if ! stack_psql -d postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'site'" | grep -q 1; then
		stack_psql -d postgres -v pw="$pw" <<'EOT'
CREATE ROLE site LOGIN PASSWORD :'pw' NOSUPERUSER NOCREATEROLE NOCREATEDB NOBYPASSRLS NOREPLICATION;
CREATE DATABASE site OWNER site;
EOT
	fi
	SH_DB_URL="postgresql://site:$pw@127.0.0.1:$SH_PG_PORT/site"
}

sh_pg_down() {
	[ -n "${SH_DIR:-}" ] && [ -f "$SH_DIR/stack.env" ] || return 0
	stack_load "$SH_DIR"
	stack_pg_stop
}

# sh_bundle_install TARBALL: unpacked by the user in its home; SH_BUNDLE,
# SH_BIN.
sh_bundle_install() {
	local tarball=$1 top
	top=$(tar -tzf "$tarball" | awk -F/ 'NR == 1 { print $1 }')
	[ -n "$top" ] || sh_die "$tarball is empty"
	install -o "$SH_USER" -g "$SH_USER" -m 0644 "$tarball" "$SH_HOME/"
	sh_as_user tar -xzf "$SH_HOME/$(basename "$tarball")" -C "$SH_HOME" ||
		sh_die "the user could not unpack $tarball"
	rm -f "$SH_HOME/$(basename "$tarball")"
	SH_BUNDLE=$SH_HOME/$top
	SH_BIN=$SH_BUNDLE/bin/fluxbase-fcgi
	[ -x "$SH_BIN" ] || sh_die "the bundle has no bin/fluxbase-fcgi"
	[ -x "$SH_BUNDLE/bin/fluxbase-setup-site" ] || sh_die "the bundle has no bin/fluxbase-setup-site"
}

# sh_setup_site [ARGS...]: fluxbase-setup-site as the user, with the login.
sh_setup_site() {
	sh_as_user "$SH_BUNDLE/bin/fluxbase-setup-site" --database-url "$SH_DB_URL" \
		--public-html "$SH_PUBLIC" --home "$SH_HOME/fluxbase" \
		--site-url "http://127.0.0.1:$SH_PORT" "$@" || return
	SH_CONF=$SH_HOME/fluxbase/fluxbase.conf
}

# sh_apache_conf: the host's server config.  SH_FCGID_MAX_REQUEST_LEN and
# SH_FCGID_MAX_PROCS are the host's mod_fcgid settings.
sh_apache_conf() {
	local adir=$SH_DIR/apache m
	mkdir -p "$adir/fcgid"
	chown www-data:www-data "$adir/fcgid"
	{
		echo "# A shared host's Apache (tests/lib/shared_hosting.sh): nothing about fluxbase here."
		echo "DefaultRuntimeDir $adir"
		echo "PidFile $adir/apache.pid"
		echo "Mutex file:$adir default"
		echo "ErrorLog $adir/error.log"
		echo "LogLevel warn"
		echo "Listen 127.0.0.1:$SH_PORT"
		echo "ServerName localhost"
		echo "ServerTokens Prod"
		echo "User www-data"
		echo "Group www-data"
		for m in mpm_event authz_core authz_host mime dir alias env setenvif rewrite headers suexec fcgid; do
			echo "LoadModule ${m}_module /usr/lib/apache2/modules/mod_$m.so"
		done
		echo "TypesConfig /etc/mime.types"
		echo "AccessFileName .htaccess"
		echo "<Directory />"
		echo "    AllowOverride None"
		echo "    Require all denied"
		echo "</Directory>"
		echo "<FilesMatch \"^\\.ht\">"
		echo "    Require all denied"
		echo "</FilesMatch>"
		echo "LogFormat \"%a %t \\\"%m %U %H\\\" %>s %B %D\" host"
		echo "CustomLog $adir/access.log host"
		echo "FcgidIPCDir $adir/fcgid"
		echo "FcgidProcessTableFile $adir/fcgid/shm"
		echo "FcgidMaxRequestLen ${SH_FCGID_MAX_REQUEST_LEN:-33554432}"
		echo "FcgidMaxProcessesPerClass ${SH_FCGID_MAX_PROCS:-4}"
		echo "FcgidMinProcessesPerClass 0"
		echo "FcgidIOTimeout 120"
		echo "<VirtualHost 127.0.0.1:$SH_PORT>"
		echo "    ServerName localhost"
		echo "    DocumentRoot $SH_PUBLIC"
		echo "    SuexecUserGroup $SH_USER $SH_USER"
		echo "    <Directory $SH_PUBLIC>"
		echo "        AllowOverride All"
		echo "        Options SymLinksIfOwnerMatch"
		echo "        Require all granted"
		echo "    </Directory>"
		echo "</VirtualHost>"
	} >"$adir/httpd.conf"
}

# sh_apache_start: the host's Apache on SH_PORT, in the namespace.
sh_apache_start() {
	local adir=$SH_DIR/apache i=0
	[ -u /usr/lib/apache2/suexec ] || sh_die "suexec is missing (apt-get install apache2-suexec-pristine)"
	sh_apache_conf
	/usr/sbin/apache2 -f "$adir/httpd.conf" -t >"$adir/configtest.log" 2>&1 ||
		{ cat "$adir/configtest.log" >&2; sh_die "Apache rejected its config"; }
	sh_hidden /usr/sbin/apache2 -f "$adir/httpd.conf" -k start ||
		sh_die "Apache did not start"
	until [ -s "$adir/apache.pid" ] && ! stack_port_free "$SH_PORT"; do
		i=$((i + 1))
		[ $i -lt 100 ] || sh_die "Apache is not answering on port $SH_PORT"
		sleep 0.1
	done
	grep -q 'suEXEC mechanism enabled' "$adir/error.log" ||
		sh_die "Apache did not enable suexec: $(tail -n 3 "$adir/error.log")"
}

sh_apache_stop() {
	local adir=$SH_DIR/apache pid i=0
	[ -s "$adir/apache.pid" ] || return 0
	pid=$(cat "$adir/apache.pid")
	kill -TERM "$pid" 2>/dev/null || true
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	kill -KILL "$pid" 2>/dev/null || true
	rm -f "$adir/apache.pid"
}

# sh_server MODE: script/server --shared-hosting (MODE foreground, daemon or
# stop), run from the source tree's root: the set-up above on PORT (default
# 8080) with state in var/shared-hosting and the user "fbsite" (home
# /var/www/fbsite, kept between runs; userdel -r fbsite removes it), then
# var/server.env as the default mode writes it.  SH_SERVER_BUILD names a
# build directory of your own (default: build/, made by script/setup).
sh_server() {
	local mode=$1 var=$PWD/var build tarball pid
	SH_DIR=$var/shared-hosting
	SH_USER=fbsite
	if [ "$mode" = stop ]; then
		if [ -d "$SH_DIR" ]; then
			sh_apache_stop
			sh_pg_down
			echo "server: stopped"
		else
			echo "server: nothing to stop"
		fi
		return 0
	fi
	[ "$(id -u)" = 0 ] || sh_die "--shared-hosting needs root (a Unix user, suexec, a mount namespace)"
	if [ -s "$SH_DIR/apache/apache.pid" ] && kill -0 "$(cat "$SH_DIR/apache/apache.pid")" 2>/dev/null; then
		. "$var/server.env"
		echo "server: already running at $FLUXBASE_URL (script/server --shared-hosting --stop stops it)"
		return 0
	fi
	build=${SH_SERVER_BUILD:-}
	if [ -z "$build" ]; then
		script/setup
		build=build
	fi
	build=$(cd "$build" && pwd)
	if [ ! -u /usr/lib/apache2/suexec ]; then
		echo "server: installing apache2-suexec-pristine"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			apache2-suexec-pristine >/dev/null || sh_die "apt-get install apache2-suexec-pristine failed"
	fi
	make -s -C "$build" bundle >/dev/null || sh_die "make bundle failed"
	tarball=$(ls -t "$build"/fluxbase-fcgi-*-x86_64-linux-gnu.tar.gz | head -n 1)
	SH_PORT=${PORT:-8080}
	stack_port_free "$SH_PORT" || sh_die "port $SH_PORT is taken; choose another with PORT=..."
	mkdir -p "$SH_DIR"
	# A set-up half-started by an earlier run is stopped first.
	sh_apache_stop
	sh_pg_down
	SH_HIDDEN=$(sh_hide_libs "$build/src/fluxbase-fcgi" | tr '\n' ' ')
	sh_user_create "$SH_USER"
	sh_pg_up
	sh_bundle_install "$tarball"
	# The config follows PORT (public_url); the secrets stay.
	sh_setup_site --rewrite-config --max-request-len 1073741824 >"$SH_DIR/setup-site.log" 2>&1 ||
		{ cat "$SH_DIR/setup-site.log" >&2; sh_die "fluxbase-setup-site failed"; }
	SH_FCGID_MAX_REQUEST_LEN=1073741824 sh_apache_start

	sh_server_env "$var"
	if [ "$mode" = daemon ]; then
		echo "  stop with:      script/server --shared-hosting --stop"
		return 0
	fi
	echo "  Ctrl-C stops everything."
	trap 'trap "" INT TERM PIPE; sh_apache_stop; sh_pg_down; echo "server: stopped" 2>/dev/null; exit 0' INT TERM
	pid=$(cat "$SH_DIR/apache/apache.pid")
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
	done
	echo "server: Apache exited; see $SH_DIR/apache/error.log" >&2
	sh_pg_down
	return 1
}

# sh_server_env VAR: VAR/server.env with the variables the default mode
# writes, and the summary.
sh_server_env() {
	local var=$1 token keys anon_key service_key base
	token=$("$SH_BIN" -c "$SH_CONF" token --role service_role --ttl 2592000)
	keys=$("$SH_BIN" -c "$SH_CONF" keys)
	anon_key=$(printf '%s\n' "$keys" | sed -n 's/^FLUXBASE_ANON_KEY=//p')
	service_key=$(printf '%s\n' "$keys" | sed -n 's/^FLUXBASE_SERVICE_KEY=//p')
	base="http://127.0.0.1:$SH_PORT"
	(
		umask 077
		cat >"$var/server.env" <<EOT
# Written by script/server --shared-hosting; source it: . var/server.env
FLUXBASE_URL='$base/api/v1'
FLUXBASE_CONFIG='$SH_CONF'
FLUXBASE_BIN='$SH_BIN'
DATABASE_URL='$SH_DB_URL'
FLUXBASE_MAIL_DIR='$SH_HOME/fluxbase/mail'
SERVICE_TOKEN='$token'
FLUXBASE_SUPABASE_URL='$base'
FLUXBASE_ANON_KEY='$anon_key'
FLUXBASE_SERVICE_KEY='$service_key'
export FLUXBASE_URL FLUXBASE_CONFIG FLUXBASE_BIN DATABASE_URL FLUXBASE_MAIL_DIR SERVICE_TOKEN
export FLUXBASE_SUPABASE_URL FLUXBASE_ANON_KEY FLUXBASE_SERVICE_KEY
EOT
	)
	cat <<EOT

fluxbase-fcgi is running as a shared host's site (Apache + mod_fcgid + suexec,
user $SH_USER, configured by $SH_PUBLIC/api/.htaccess).
  API:            $base/api/v1
  health:         curl $base/api/v1/health
  database:       $SH_DB_URL
                  (the site's one login: tables need auth.expose)
  service token:  $token
  (valid 30 days; all of this is in var/server.env; the API's logs are in
  $SH_HOME/fluxbase/log/, Apache's in $SH_DIR/apache/)

  supabase-js:    createClient('$base', anon key)
  anon key:       $anon_key
  service key:    $service_key
EOT
}
