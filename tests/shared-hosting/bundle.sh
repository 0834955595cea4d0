#!/bin/bash
# tests/shared-hosting/bundle.sh - the shared-hosting bundle ("make bundle")
# runs on an older system that has none of its libraries:
#   - builds the bundle of this build tree;
#   - takes a Debian 11 (bullseye, glibc 2.31) minbase chroot made with
#     debootstrap (cached in /var/cache/fluxbase-tests/bullseye-minbase,
#     FLUXBASE_BULLSEYE_CACHE overrides; made once, then reused) and runs on
#     an overlay of it, so the cache is never written to;
#   - hides in that overlay every library the bundle ships except glibc's
#     own (libc.so.6, libresolv.so.2, the loader: the chroot's 2.31 is what
#     the bundle must not depend on) and asserts none is left, and that the
#     chroot's glibc is 2.31 and older than the build host's;
#   - unpacks the bundle as an unprivileged user inside the chroot, runs its
#     "migrate" and "token" there, then its pool ("serve") as that user,
#     talking to a PostgreSQL of tests/lib/stack.sh on the host through the
#     socket directory bind-mounted into the chroot, and listening on a
#     socket in the user's home that nginx on the host (stack_nginx_start)
#     passes requests to;
#   - runs the deploy smoke suite (tests/deploy/smoke.sh) through nginx,
#     then checks that every shared object the pool's processes mapped lies
#     in the bundle's lib/ (nothing from the chroot, nothing from the host);
#   - then runs the bundle as mod_fcgid does (one lone worker, its listening
#     socket on fd 0, no master), started by spawn-fcgi into the chroot as
#     the user, and runs the smoke suite and the library check on it again.
# Everything started is stopped, every mount (overlay, /proc, the socket
# directory) is unmounted, on success or failure.  Exit 77 (skip) only when
# not root (debootstrap, chroot and mounts need it) or when the chroot is
# not cached and the Debian mirror cannot be reached.
set -eu
: "${top_srcdir:?}" "${top_builddir:?}" "${FLUXBASE_BIN:?}"
# Read before stack_clean_env drops every FLUXBASE_* variable.
cache=${FLUXBASE_BULLSEYE_CACHE:-/var/cache/fluxbase-tests/bullseye-minbase}
. "$top_srcdir/tests/lib/stack.sh"
stack_clean_env

name=bundle
if [ "$(id -u)" != 0 ]; then
	echo "$name: SKIP: needs root (debootstrap, chroot, mounts)"
	exit 77
fi
mirror=http://deb.debian.org/debian
site_uid=64242
fail() { echo "$name: $*" >&2; exit 1; }

# nginx and spawn-fcgi, from Debian's packages when missing (as tests/deploy/run.sh).
if ! command -v nginx >/dev/null 2>&1 || ! command -v spawn-fcgi >/dev/null 2>&1; then
	echo "$name: installing nginx and spawn-fcgi"
	"$top_srcdir/script/setup" --packages
fi

# ---- the bundle ---------------------------------------------------------------
unset MAKEFLAGS MFLAGS MAKELEVEL
t0=$(date +%s)
${MAKE:-make} -s -C "$top_builddir" bundle >/dev/null
version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$top_builddir/config.h")
tarball=$top_builddir/fluxbase-fcgi-$version-x86_64-linux-gnu.tar.gz
[ -s "$tarball" ] || fail "make bundle wrote no $tarball"

# ---- the Debian 11 chroot, cached ---------------------------------------------
make_chroot() {
	local tmp
	if ! command -v debootstrap >/dev/null 2>&1; then
		apt-get install -y -q debootstrap >/dev/null 2>&1 ||
			{ apt-get update -q >/dev/null 2>&1 && apt-get install -y -q debootstrap >/dev/null; } ||
			fail "cannot install debootstrap"
	fi
	mkdir -p "$(dirname "$cache")"
	tmp=$cache.tmp.$$
	rm -rf "$tmp"
	echo "$name: debootstrap --variant=minbase bullseye into $cache (once)"
	if ! debootstrap --variant=minbase bullseye "$tmp" "$mirror" >"$tmp.log" 2>&1; then
		tail -n 20 "$tmp.log" >&2
		rm -rf "$tmp" "$tmp.log"
		fail "debootstrap failed"
	fi
	rm -f "$tmp.log"
	mv "$tmp" "$cache"
}
if [ ! -x "$cache/bin/sh" ] || [ ! -f "$cache/etc/debian_version" ]; then
	if ! curl -sfI --max-time 15 "$mirror/dists/bullseye/Release" >/dev/null 2>&1; then
		echo "$name: SKIP: no chroot cached at $cache and $mirror cannot be reached"
		exit 77
	fi
	# One debootstrap at a time, should two runs start together.
	mkdir -p "$(dirname "$cache")"
	exec 9>"$cache.lock"
	flock 9
	[ -x "$cache/bin/sh" ] || make_chroot
	exec 9>&-
fi
case $(cat "$cache/etc/debian_version") in 11.*) ;; *)
	fail "$cache is not Debian 11: $(cat "$cache/etc/debian_version")" ;;
esac

# ---- set-up and tear-down -----------------------------------------------------
dir=$(mktemp -d /tmp/fluxbase-bundle.XXXXXX)
root=$dir/root
home=$root/home/site
STACK_DIR=
lone=
# ours PID: PID runs as the site's user inside this run's chroot (a pid
# file left behind never names another process to us).
ours() { [ "$(readlink "/proc/$1/root" 2>/dev/null)" = "$root" ] && [ "$(stat -c %u "/proc/$1")" = "$site_uid" ]; }
site_pids() { local p; for p in $(pgrep -u "$site_uid"); do ! ours "$p" || echo "$p"; done; }
cleanup() {
	local status=$? pid m i
	trap - EXIT INT TERM
	for pid in $(cat "$home/fluxbase/run/fluxbase.pid" 2>/dev/null || :) $lone; do
		ours "$pid" || continue
		kill -TERM "$pid" 2>/dev/null || :
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
		kill -KILL "$pid" 2>/dev/null || :
	done
	# A sanitizer build's reports (leaks are told when the processes exit).
	if grep -l -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$dir/serve.out" \
		"$home"/fluxbase/log/*.log 2>/dev/null; then
		echo "$name: sanitizer reports in the logs above" >&2
		status=1
	fi
	if [ -n "$STACK_DIR" ]; then
		stack_nginx_stop
		stack_pg_stop
	fi
	# Deepest first: the socket directory and /proc, then the overlay.
	for m in $(awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m" || :
	done
	if [ "$status" != 0 ]; then
		for f in "$dir/serve.out" "$home/fluxbase/log/fluxbase.log" "$home/fluxbase/log/migrate.log" \
			"$dir/stack/log/nginx-error.log"; do
			[ -s "$f" ] && { echo "--- $f"; tail -n 15 "$f"; }
		done
	fi
	if awk -v d="$dir/" 'index($2, d) == 1 { f = 1 } END { exit !f }' /proc/mounts; then
		echo "$name: mounts left under $dir; not removing it" >&2
		status=1
	elif [ -n "${KEEP_STACK:-}" ]; then
		echo "kept $dir"
	else
		rm -rf "$dir"
	fi
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The chroot: an overlay over the cache (the cache is never written to).
mkdir -p "$dir/upper" "$dir/work" "$root"
mount -t overlay overlay -o "lowerdir=$cache,upperdir=$dir/upper,workdir=$dir/work" "$root"
mount -t proc proc "$root/proc"

# in_chroot CMD...: CMD inside the chroot as the site's user, with a bare
# environment, as a shell login of that user would have it (a sanitizer
# build's options passed on).
san_env=()
for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
	[ -z "${!v:-}" ] || san_env+=("$v=${!v}")
done
in_chroot() {
	chroot --userspec="$site_uid:$site_uid" --groups="$site_uid" "$root" \
		/usr/bin/env -i HOME=/home/site USER=site LOGNAME=site PATH=/usr/bin:/bin \
		${san_env[@]+"${san_env[@]}"} "$@"
}

# ---- the chroot is older, and has none of the bundled libraries --------------
host_glibc=$(getconf GNU_LIBC_VERSION)
chroot_glibc=$(chroot "$root" /usr/bin/getconf GNU_LIBC_VERSION)
[ "$chroot_glibc" = "glibc 2.31" ] || fail "the chroot has $chroot_glibc, expected glibc 2.31"
[ "$(printf '%s\n' "${host_glibc#glibc }" 2.31 | sort -V | head -n 1)" = 2.31 ] &&
	[ "${host_glibc#glibc }" != 2.31 ] || fail "the chroot's glibc is not older than $host_glibc"

bundled=$(tar -tzf "$tarball" | sed -n 's|^[^/]*/lib/\([^/]*\.so[^/]*\)$|\1|p')
[ -n "$bundled" ] || fail "the bundle ships no libraries"
for so in libfcgi.so.0 libpq.so.5 libjson-c.so.5 libjwt.so.0 libsodium.so.23 libc.so.6 \
	ld-linux-x86-64.so.2; do
	printf '%s\n' "$bundled" | grep -qxF "$so" || fail "the bundle lacks $so"
done
find_libs() { # the chroot's copies of the bundled libraries, glibc's own aside
	local so
	for so in $bundled; do
		case $so in libc.so.6 | libresolv.so.2 | ld-linux-x86-64.so.2) continue ;; esac
		find "$root" -xdev \( -path "$root/proc" -o -path "$root/home" \) -prune -o \
			\( -name "$so" -o -name "$so.*" \) -print
	done
}
# Hidden in the overlay only (minbase brings older zlib, gnutls, krb5...):
# each is then the bundle's or nothing.
find_libs | xargs -r rm -f
left=$(find_libs)
[ -z "$left" ] || fail "the chroot still has bundled libraries: $left"

# ---- the site's user, the bundle unpacked in their home ------------------------
echo "site:x:$site_uid:$site_uid:site:/home/site:/bin/sh" >>"$root/etc/passwd"
echo "site:x:$site_uid:" >>"$root/etc/group"
mkdir -p "$home"
chown "$site_uid:$site_uid" "$home"
chmod 0711 "$home"
cp "$tarball" "$home/bundle.tar.gz"
chown "$site_uid:$site_uid" "$home/bundle.tar.gz"
in_chroot /bin/sh -c 'cd "$HOME" && tar -xzf bundle.tar.gz && rm bundle.tar.gz &&
	mkdir -p fluxbase/run fluxbase/log fluxbase/mail fluxbase/storage fluxbase/secrets &&
	chmod 0700 fluxbase fluxbase/secrets && chmod 0711 fluxbase'
bin=/home/site/fluxbase-fcgi-$version/bin/fluxbase-fcgi
[ -x "$root$bin" ] || fail "the bundle did not unpack to $bin"
out=$(in_chroot "$bin" --version) || fail "the bundled binary does not run in the chroot: $out"
[ "$out" = "fluxbase-fcgi $version" ] || fail "--version in the chroot: $out"

# ---- PostgreSQL on the host, nginx in front of the chroot's socket -------------
export STACK_PG_FAST=1
stack_db_up "$dir/stack"
mkdir -p "$root/run/fluxbase-pg"
mount --bind "$STACK_DIR/pgrun" "$root/run/fluxbase-pg"
STACK_FCGI_SOCKET=/home/site/fluxbase/run/fluxbase.sock
STACK_FCGI_SOCKET=$root$STACK_FCGI_SOCKET stack_nginx_start
port=$STACK_PORT
stack_make_reachable "$home/fluxbase/run"

# The site's configuration and secrets, owned by the user, 0600.
for s in jwt_secret signing_key; do
	(umask 077; head -c 48 /dev/urandom | base64 -w 0 >"$home/fluxbase/secrets/$s")
done
cat >"$home/fluxbase/fluxbase.conf" <<EOT
# Written by tests/shared-hosting/bundle.sh: the bundle's pool in a chroot.
[server]
listen = /home/site/fluxbase/run/fluxbase.sock
listen_mode = 0666
workers = 2
stop_timeout = 5
pid_file = /home/site/fluxbase/run/fluxbase.pid
error_log = /home/site/fluxbase/log/fluxbase.log
access_log = /home/site/fluxbase/log/access.log
public_url = http://127.0.0.1:$port
[database]
url = host=/run/fluxbase-pg dbname=fluxbase user=authenticator
admin_url = host=/run/fluxbase-pg dbname=fluxbase user=$STACK_PG_SUPER
connect_timeout = 2
[auth]
jwt_secret_file = /home/site/fluxbase/secrets/jwt_secret
password_ops_limit = 1
password_mem_limit = 8M
[mail]
transport = dir
dir = /home/site/fluxbase/mail
[storage]
root = /home/site/fluxbase/storage
signing_key_file = /home/site/fluxbase/secrets/signing_key
EOT
chmod 0600 "$home/fluxbase/fluxbase.conf" "$home/fluxbase/secrets/"*
chown -R "$site_uid:$site_uid" "$home/fluxbase/fluxbase.conf" "$home/fluxbase/secrets"

# The shipped example, its home filled in, is a configuration the program
# accepts (its every-key part included); the database is not its concern here.
sed 's|/home/USER/|/home/site/|g' "$home/fluxbase-fcgi-$version/fluxbase.conf.example" \
	>"$home/fluxbase/example.conf"
chown "$site_uid:$site_uid" "$home/fluxbase/example.conf"
out=$(in_chroot "$bin" -c /home/site/fluxbase/example.conf check-config 2>&1) || :
case $out in *"example.conf: configuration OK"*) ;; *)
	fail "the shipped fluxbase.conf.example is refused: $out" ;;
esac

# migrate and token: the bundled binary, in the chroot, as the user.
in_chroot "$bin" -c /home/site/fluxbase/fluxbase.conf migrate >"$home/fluxbase/log/migrate.log" 2>&1 ||
	fail "migrate in the chroot failed: $(tail -n 5 "$home/fluxbase/log/migrate.log")"
"$top_srcdir/tests/lib/stack.sh" "$STACK_DIR" psql -q <"$top_srcdir/tests/integration/fixture.sql" >/dev/null
svc=$(in_chroot "$bin" -c /home/site/fluxbase/fluxbase.conf token --role service_role) ||
	fail "token in the chroot failed"

# The pool, in the chroot, as the user, in a session of its own.
setsid chroot --userspec="$site_uid:$site_uid" --groups="$site_uid" "$root" \
	/usr/bin/env -i HOME=/home/site USER=site LOGNAME=site PATH=/usr/bin:/bin \
	${san_env[@]+"${san_env[@]}"} "$bin" -c /home/site/fluxbase/fluxbase.conf serve \
	</dev/null >>"$dir/serve.out" 2>&1 &
i=0
until [ -S "$home/fluxbase/run/fluxbase.sock" ] && [ -s "$home/fluxbase/run/fluxbase.pid" ]; do
	i=$((i + 1))
	[ $i -le 100 ] || fail "the pool did not start in the chroot: $(tail -n 5 "$dir/serve.out")"
	sleep 0.1
done

# ---- what a user sees, through nginx --------------------------------------------
"$top_srcdir/tests/deploy/smoke.sh" "http://127.0.0.1:$port/api/v1" "$svc" bundle-bullseye
grep -q '/api/v1/auth/user' "$home/fluxbase/log/access.log" ||
	fail "the pool in the chroot logged none of the smoke suite's requests"

# ---- every library the processes mapped is the bundle's --------------------------
libdir=/home/site/fluxbase-fcgi-$version/lib/
bundle_only() { # bundle_only PID...: each runs as the site's user on the bundle's libraries
	local pid maps m
	for pid in "$@"; do
		[ "$(stat -c %u "/proc/$pid")" = "$site_uid" ] || fail "process $pid does not run as the site's user"
		maps=$(awk '$6 ~ /\.so/ { print $6 }' "/proc/$pid/maps" | sort -u)
		printf '%s\n' "$maps" | grep -q '/libc\.so\.6$' || fail "process $pid maps no libc.so.6: $maps"
		for m in $maps; do
			case $m in
			"$root$libdir"* | "$libdir"* | "$dir/upper$libdir"*) ;;
			*) fail "process $pid mapped $m, not from the bundle" ;;
			esac
		done
	done
}
master=$(cat "$home/fluxbase/run/fluxbase.pid")
pids=$(pgrep -P "$master" | tr '\n' ' ')
[ "$(echo $pids | wc -w)" = 2 ] || fail "expected 2 workers under the master $master, found: $pids"
bundle_only "$master" $pids

# ---- as mod_fcgid runs it: one lone worker, its socket on fd 0 ----------------------
# spawn-fcgi binds the socket (outside the chroot, where nginx finds it),
# chroots, drops to the user and execs the launcher with the socket as fd 0.
kill -TERM "$master"
i=0
while kill -0 "$master" 2>/dev/null; do
	i=$((i + 1))
	[ $i -le 100 ] || fail "the pool did not stop on SIGTERM"
	sleep 0.1
done
stack_nginx_stop
lone_sock=$dir/lone.sock
: >"$home/fluxbase/log/access.log"
setsid spawn-fcgi -n -c "$root" -S -s "$lone_sock" -M 0666 -u "$site_uid" -g "$site_uid" -- \
	/usr/bin/env -i HOME=/home/site USER=site LOGNAME=site PATH=/usr/bin:/bin \
	${san_env[@]+"${san_env[@]}"} "$bin" -c /home/site/fluxbase/fluxbase.conf serve \
	</dev/null >>"$dir/serve.out" 2>&1 &
lone=$!
i=0
until [ -S "$lone_sock" ] && [ "$(site_pids | wc -l)" = 1 ]; do
	i=$((i + 1))
	[ $i -le 100 ] || fail "the lone worker did not start in the chroot: $(tail -n 5 "$dir/serve.out")"
	sleep 0.1
done
STACK_FCGI_SOCKET=$lone_sock stack_nginx_start
port=$STACK_PORT
"$top_srcdir/tests/deploy/smoke.sh" "http://127.0.0.1:$port/api/v1" "$svc" bundle-bullseye-fd0
grep -q '/api/v1/auth/user' "$home/fluxbase/log/access.log" ||
	fail "the lone worker in the chroot logged none of the smoke suite's requests"
pids=$(site_pids | tr '\n' ' ')
[ "$pids" = "$lone " ] || fail "expected one process (pid $lone, no master, no fork), found: $pids"
bundle_only "$lone"

echo "$name: ok: bundle of $(du -k "$tarball" | cut -f1) KiB served the smoke suite from a" \
	"Debian $(cat "$root/etc/debian_version") chroot ($chroot_glibc; host $host_glibc)" \
	"in $(( $(date +%s) - t0 )) s"
