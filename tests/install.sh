#!/bin/bash
# "make install DESTDIR=..." produces the documented layout, with the paths
# filled into the systemd units and the logrotate file, and "make
# uninstall" takes every file away again.
set -eu
: "${top_builddir:?}"
dest=$(mktemp -d /tmp/fluxbase-install.XXXXXX)
trap 'rm -rf "$dest"' EXIT
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
