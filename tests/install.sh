#!/bin/bash
# "make install DESTDIR=..." produces the documented layout, with the paths
# filled into the systemd units and the logrotate file, and "make
# uninstall" takes every file away again.
# Then, when run as root, an install without root: an ordinary user (a uid
# no account has, through setpriv, so that every file it owns anywhere is
# this test's) unpacks the source in their home and runs
# "./configure --prefix=$HOME/fluxbase && make && make install": it must
# succeed without write access to /usr, /etc or /var, every path of the
# layout must lie under the prefix, the binary's default configuration
# must be the prefix's, nothing owned by that user may appear outside the
# home, and "make uninstall" takes every file away again.
set -eu
: "${top_builddir:?}"
top_srcdir=${top_srcdir:-$(cd "$top_builddir" && sed -n "s/^abs_top_srcdir = //p" Makefile)}
dest=$(mktemp -d /tmp/fluxbase-install.XXXXXX)
uhome=
trap 'rm -rf "$dest" ${uhome:+"$uhome"}' EXIT
# A make of its own: not the jobserver of the make running the tests.
unset MAKEFLAGS MFLAGS MAKELEVEL
mk() { ${MAKE:-make} -s -C "$top_builddir" "$@" DESTDIR="$dest" >/dev/null; }
fail() { echo "install: $*" >&2; exit 1; }

mk install
eval "$(${MAKE:-make} -s -C "$top_builddir" --no-print-directory print-layout)"
for f in "$sbindir/fluxbase-fcgi" "$sysconfdir/fluxbase.conf" "$mandir/man8/fluxbase-fcgi.8" \
	"$docdir/README.md" "$docdir/API.md" "$docdir/examples/deploy/nginx/fluxbase.conf" \
	"$docdir/examples/deploy/apache/fluxbase-proxy-fcgi.conf" \
	"$docdir/examples/deploy/apache/fluxbase-fcgid.conf" \
	"$docdir/examples/deploy/lighttpd/fluxbase-socket.conf" \
	"$docdir/examples/deploy/lighttpd/fluxbase-spawn.conf" \
	"$docdir/examples/deploy/spawn-fcgi/fluxbase-spawn-fcgi" \
	"$unitdir/fluxbase-fcgi.service" "$unitdir/fluxbase-fcgi.socket" \
	"$sysconfdir/logrotate.d/fluxbase-fcgi"; do
	[ -f "$dest$f" ] || fail "missing $f"
done
[ -x "$dest$sbindir/fluxbase-fcgi" ] || fail "the binary is not executable"
"$dest$sbindir/fluxbase-fcgi" --version >/dev/null || fail "the installed binary does not run"
for d in lib/fluxbase/storage log/fluxbase spool/fluxbase/mail; do
	[ -d "$dest$localstatedir/$d" ] || fail "missing directory $localstatedir/$d"
done
grep -q "^ExecStart=$sbindir/fluxbase-fcgi -c $sysconfdir/fluxbase.conf serve\$" \
	"$dest$unitdir/fluxbase-fcgi.service" || fail "the service unit names the wrong paths"
! grep -n '@[a-z]*@' "$dest$unitdir"/fluxbase-fcgi.* "$dest$sysconfdir/logrotate.d/fluxbase-fcgi" ||
	fail "placeholders left in the installed files"
man -l "$dest$mandir/man8/fluxbase-fcgi.8" >/dev/null 2>&1 || ! command -v man >/dev/null ||
	fail "the man page does not render"

mk uninstall
left=$(find "$dest" -type f -o -type l)
[ -z "$left" ] || fail "left after uninstall: $left"
echo "install: layout ok, uninstall clean"

# ---- without root ---------------------------------------------------------------
if [ "$(id -u)" != 0 ]; then
	echo "install: not root: the install as another, ordinary user is not tried"
	exit 0
fi
uid=64243
! getent passwd "$uid" >/dev/null || fail "uid $uid belongs to an account: the test needs an unused one"
uhome=$(mktemp -d /tmp/fluxbase-userinst.XXXXXX)
chown "$uid:$uid" "$uhome"
prefix=$uhome/fluxbase
as_user() { # as_user CMD...: as the ordinary user, in their home, a bare environment
	(cd "$uhome" && setpriv --reuid="$uid" --regid="$uid" --clear-groups \
		env -i HOME="$uhome" PATH=/usr/local/bin:/usr/bin:/bin LC_ALL=C "$@")
}
# The source as the user would unpack it: the tree without build
# directories, version control or node_modules.
excl=()
for d in "$top_srcdir"/*/; do
	[ ! -f "$d/config.status" ] || excl+=("--exclude=./$(basename "$d")")
done
as_user mkdir src
(cd "$top_srcdir" && tar -cf - --exclude=./.git --exclude=./autom4te.cache --exclude=./var \
	--exclude=node_modules --exclude='./fluxbase-fcgi-*' "${excl[@]}" .) | as_user tar -C src -xf -
as_user sh -c "cd src && ./configure --prefix='$prefix' && ${MAKE:-make} -j2 && ${MAKE:-make} install" \
	>"$uhome/build.log" 2>&1 || { tail -n 30 "$uhome/build.log" >&2; fail "the install as an ordinary user failed"; }

# Every path of the layout lies under the prefix.
layout=$(as_user ${MAKE:-make} -s -C src --no-print-directory print-layout)
for v in $(printf '%s\n' "$layout" | tr ' ' '\n' | sed -n "s/^\([a-z]*\)='.*/\1/p"); do
	val=$(eval "$layout"; eval "printf '%s' \"\$$v\"")
	case $val in "$prefix"/*) ;; *) fail "as a user: $v = $val, outside the prefix $prefix" ;; esac
done
for f in sbin/fluxbase-fcgi sbin/fluxbase-setup-site etc/fluxbase.conf etc/logrotate.d/fluxbase-fcgi \
	lib/systemd/system/fluxbase-fcgi.service share/man/man8/fluxbase-fcgi.8; do
	[ -f "$prefix/$f" ] || fail "as a user: missing $prefix/$f"
done
for d in var/lib/fluxbase/storage var/log/fluxbase var/spool/fluxbase/mail; do
	[ -d "$prefix/$d" ] || fail "as a user: missing directory $prefix/$d"
done
# The binary runs, and reads the prefix's configuration by default.
as_user "$prefix/sbin/fluxbase-fcgi" --version >/dev/null || fail "as a user: the installed binary does not run"
out=$(as_user "$prefix/sbin/fluxbase-fcgi" check-config 2>&1) || :
case $out in *"$prefix/etc/fluxbase.conf"*) ;; *)
	fail "as a user: check-config without -c does not read $prefix/etc/fluxbase.conf: $out" ;;
esac
# The program's own defaults lie under the prefix too, and the installed
# reference configuration names them so.
for l in "; listen = $prefix/var/run/fluxbase/fluxbase.sock" \
	"; root = $prefix/var/lib/fluxbase/storage" "; dir = $prefix/var/spool/fluxbase/mail"; do
	grep -qxF -- "$l" "$prefix/etc/fluxbase.conf" || fail "as a user: $prefix/etc/fluxbase.conf lacks: $l"
done
# Nothing the user owns outside their home: not in the world-writable
# places (/tmp, /var/tmp, /dev/shm), not anywhere else.
leaked=$(find / -xdev \( -path "$uhome" -o -path /proc \) -prune -o -uid "$uid" -print 2>/dev/null
	find /dev/shm /run -xdev -uid "$uid" -print 2>/dev/null) || :
[ -z "$leaked" ] || fail "as a user: written outside the home: $leaked"

as_user ${MAKE:-make} -s -C src uninstall >/dev/null 2>&1 || fail "as a user: make uninstall failed"
left=$(find "$prefix" -type f -o -type l)
[ -z "$left" ] || fail "as a user: left after uninstall: $left"
echo "install: as an ordinary user under $prefix: layout under the prefix, nothing outside, uninstall clean"
