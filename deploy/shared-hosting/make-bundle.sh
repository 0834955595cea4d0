#!/bin/bash
# make-bundle.sh SRCDIR BUILDDIR VERSION - "make bundle": a self-contained
# tarball for shared hosts, BUILDDIR/fluxbase-fcgi-VERSION-x86_64-linux-gnu.tar.gz,
# unpacking to fluxbase-fcgi-VERSION/:
#   bin/fluxbase-fcgi         what the user runs (a /bin/sh launcher, below)
#   bin/fluxbase-setup-site   the first-run script (finds the launcher next to it)
#   libexec/fluxbase-fcgi     the real program (DT_RPATH $ORIGIN/../lib)
#   lib/                      every shared library it needs, glibc and its
#                             dynamic loader included; lib/MANIFEST names each
#                             one's Debian package and version
#   share/licenses/           the copyright file of each of those packages
#   public_html/api/          the FastCGI entry and its .htaccess
#   fluxbase.conf.example     the settings of a shared host, then every key
#                             with its default (etc/fluxbase.conf)
#   README-shared-hosting.txt
#
# Why the build host's glibc travels with the program (and not a static
# musl build): shared hosts run older systems (AlmaLinux/CloudLinux 8 has
# glibc 2.28; a Debian 12 build needs 2.34+), and neither a program nor a
# library built against a newer glibc runs on an older one.  Shipping the
# loader and libc.so.6 of the build and starting the program through that
# loader ("ld-linux-x86-64.so.2 --library-path lib --argv0 ... libexec/...")
# makes the host's glibc irrelevant: the kernel is the only interface left
# (glibc 2.36 needs Linux 3.2+).  It ships exactly the Debian-packaged
# libraries every suite tests (libfcgi, json-c, libjwt, libsodium, libpq,
# libcurl and what they pull in), needs no second toolchain and no rebuild
# of six dependency trees from source (minutes, not hours), and the
# MANIFEST says which Debian security update a library came from.  A musl
# build would mean building and testing a second set of libraries nobody
# else runs.
#   What of glibc is read from the host at run time, and why it is harmless:
#   - /proc/self/exe names the loader, not the program: conf_default_path()
#     then falls back to SYSCONFDIR/fluxbase.conf, which the launcher never
#     relies on (the entry and setup-site always pass -c).  Nothing re-execs
#     itself.
#   - NSS: glibc >= 2.34 has the files and dns modules built into libc.so.6
#     (getpwnam for [server] listen_owner, getaddrinfo for a host:port or a
#     database host); a module the host's nsswitch.conf adds (sss, systemd)
#     is loaded from the host through its ld.so.cache and runs on the newer
#     libc (glibc keeps old modules working); if it cannot load, the next
#     source is tried.
#   - gconv/locale: the program never calls setlocale (it runs in the C
#     locale), and the conversions it may meet (ASCII, UTF-8) are built into
#     libc; no gconv module or locale archive is opened.
#   - OpenSSL (libcurl's SMTP over TLS) looks for CA certificates where
#     Debian keeps them; the launcher points SSL_CERT_FILE at the host's
#     bundle when that file is elsewhere (RHEL-family hosts).
# The tests/shared-hosting/bundle.sh suite runs the bundle in a Debian 11
# (glibc 2.31) chroot that has none of the non-glibc libraries, and checks
# every library the workers mapped came from lib/.
set -eu
[ $# = 3 ] || { echo "usage: $0 SRCDIR BUILDDIR VERSION" >&2; exit 2; }
srcdir=$1 builddir=$2 version=$3
name=fluxbase-fcgi-$version
arch=$(uname -m)
out=$builddir/$name-$arch-linux-gnu.tar.gz
sh_dir=$srcdir/deploy/shared-hosting
loader=ld-linux-x86-64.so.2

die() { echo "make-bundle: $*" >&2; exit 1; }
[ "$arch" = x86_64 ] || die "only x86_64 is supported (this is $arch)"
[ -x "$builddir/src/fluxbase-fcgi" ] || die "build the program first: make -C $builddir"
for f in fluxbase-setup-site fluxbase.conf.example README-shared-hosting.txt \
	public_html/api/.htaccess public_html/api/fluxbase.fcgi; do
	[ -f "$sh_dir/$f" ] || die "missing $sh_dir/$f"
done

stage=$(mktemp -d "$builddir/.bundle.XXXXXX")
trap 'rm -rf "$stage"' EXIT
top=$stage/$name
umask 022
mkdir -p "$top/bin" "$top/libexec" "$top/lib" "$top/share/licenses" "$top/public_html/api"

# ---- the program, linked again with DT_RPATH $ORIGIN/../lib ----------------
# The objects and libraries of the build's own link (automake's variables,
# read from its Makefile); DT_RPATH rather than DT_RUNPATH: it also serves
# the libraries' own needs (libcurl's libssl...), RUNPATH only the
# program's direct ones.
unset MAKEFLAGS MFLAGS MAKELEVEL
${MAKE:-make} -s --no-print-directory -C "$builddir" -f Makefile -f - \
	BUNDLE_OUT="$top/libexec/fluxbase-fcgi" fluxbase-bundle-relink <<'EOF' ||
fluxbase-bundle-relink: src/fluxbase-fcgi$(EXEEXT)
	$(CCLD) $(AM_CFLAGS) $(CFLAGS) $(AM_LDFLAGS) $(LDFLAGS) -o "$(BUNDLE_OUT)" \
	    $(src_fluxbase_fcgi_OBJECTS) $(src_fluxbase_fcgi_LDADD) $(LIBS) \
	    -Wl,--disable-new-dtags -Wl,-rpath,'$$ORIGIN/../lib'
.PHONY: fluxbase-bundle-relink
EOF
	die "relinking the program failed"
strip --strip-unneeded "$top/libexec/fluxbase-fcgi"
readelf -d "$top/libexec/fluxbase-fcgi" | grep -q 'RPATH.*\[\$ORIGIN/\.\./lib\]' ||
	die "the program has no DT_RPATH \$ORIGIN/../lib"

# ---- the libraries: everything the loader resolves, recursively -------------
declare -A seen=()
manifest=$top/lib/MANIFEST
printf '%s\n' "# soname	Debian package	version (copied from the build host)" >"$manifest"
copy_lib() { # copy_lib SONAME PATH
	local so=$1 real pkg ver
	[ -z "${seen[$so]:-}" ] || return 0
	seen[$so]=1
	real=$(readlink -f "$2")
	cp "$real" "$top/lib/$so"
	chmod 0755 "$top/lib/$so"
	pkg=
	if command -v dpkg >/dev/null 2>&1; then
		# dpkg knows a file by the path its package ships (usrmerge: with
		# or without /usr).
		pkg=$(dpkg -S "$real" 2>/dev/null || dpkg -S "${real#/usr}" 2>/dev/null ||
			dpkg -S "/usr$real" 2>/dev/null || :)
		pkg=${pkg%%:*}
	fi
	if [ -n "$pkg" ]; then
		ver=$(dpkg-query -W -f '${Version}' "$pkg:amd64" 2>/dev/null ||
			dpkg-query -W -f '${Version}' "$pkg")
		printf '%s\t%s\t%s\n' "$so" "$pkg" "$ver" >>"$manifest"
		[ ! -f "/usr/share/doc/$pkg/copyright" ] ||
			cp "/usr/share/doc/$pkg/copyright" "$top/share/licenses/$pkg.copyright"
	else
		printf '%s\t?\t?\n' "$so" >>"$manifest"
	fi
}
ldd "$top/libexec/fluxbase-fcgi" >"$stage/ldd.txt" || die "ldd failed on the program"
! grep 'not found' "$stage/ldd.txt" || die "libraries not found (above)"
while read -r a b c _; do
	case $a:$b in
	linux-vdso.so.*) ;;
	*/$loader:*) copy_lib "$loader" "$a" ;;
	*:"=>") copy_lib "$a" "$c" ;;
	*) die "unexpected ldd line: $a $b $c" ;;
	esac
done <"$stage/ldd.txt"
[ -n "${seen[$loader]:-}" ] && [ -n "${seen[libc.so.6]:-}" ] ||
	die "ldd named no $loader or libc.so.6"

# ---- the launcher -----------------------------------------------------------
cat >"$top/bin/fluxbase-fcgi" <<'EOF'
#!/bin/sh
# fluxbase-fcgi (bundle launcher): runs ../libexec/fluxbase-fcgi with the
# glibc and the libraries shipped in ../lib, through the shipped dynamic
# loader, so neither the host's glibc version nor its libraries matter.
# Every argument is passed on; the program keeps this process (exec: same
# pid, same file descriptors, fd 0 being mod_fcgid's socket).
dirof() { case $1 in */*) printf '%s\n' "${1%/*}" ;; *) echo . ;; esac; }
# Through symbolic links (~/bin/fluxbase-fcgi -> the bundle's) to the file.
self=$0
while [ -h "$self" ]; do
	link=$(readlink "$self") || break
	case $link in
	/*) self=$link ;;
	*) self=$(dirof "$self")/$link ;;
	esac
done
bindir=$(dirof "$self")
root=$(CDPATH='' cd -- "$bindir/.." && pwd -P) || exit 127
lib=$root/lib
# OpenSSL (mail over TLS) looks for the CA certificates where Debian keeps
# them; on other systems, name the host's own bundle.
if [ -z "${SSL_CERT_FILE:-}" ] && [ ! -f /etc/ssl/certs/ca-certificates.crt ]; then
	for f in /etc/pki/tls/certs/ca-bundle.crt /etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem \
		/etc/ssl/ca-bundle.pem /etc/ssl/cert.pem; do
		if [ -f "$f" ]; then
			SSL_CERT_FILE=$f
			export SSL_CERT_FILE
			break
		fi
	done
fi
exec "$lib/ld-linux-x86-64.so.2" --library-path "$lib" --argv0 "$0" \
	"$root/libexec/fluxbase-fcgi" "$@"
EOF
chmod 0755 "$top/bin/fluxbase-fcgi"

# ---- the rest: setup script, web entry, configuration, notes ----------------
install -m 0755 "$sh_dir/fluxbase-setup-site" "$top/bin/fluxbase-setup-site"
install -m 0755 "$sh_dir/public_html/api/fluxbase.fcgi" "$top/public_html/api/fluxbase.fcgi"
install -m 0644 "$sh_dir/public_html/api/.htaccess" "$top/public_html/api/.htaccess"
# The example, then every key with its default (etc/fluxbase.conf, all
# commented out): one file describes them all.
{
	cat "$sh_dir/fluxbase.conf.example"
	printf '\n# %s\n# Every key, with its default (etc/fluxbase.conf of the source).\n# %s\n\n' \
		"==========================================================================" \
		"=========================================================================="
	cat "$srcdir/etc/fluxbase.conf"
} >"$top/fluxbase.conf.example"
chmod 0644 "$top/fluxbase.conf.example"
! grep -v '^[[:space:]]*[#;]' "$srcdir/etc/fluxbase.conf" | grep -q '=' ||
	die "etc/fluxbase.conf sets a key: the example's second part must leave every key commented out"
install -m 0644 "$sh_dir/README-shared-hosting.txt" "$top/README-shared-hosting.txt"

# ---- check it before packing: it runs, and takes nothing from the host ------
"$top/bin/fluxbase-fcgi" --version >"$stage/version.txt" 2>&1 ||
	die "the bundled program does not run: $(cat "$stage/version.txt")"
"$top/lib/$loader" --library-path "$top/lib" --list "$top/libexec/fluxbase-fcgi" >"$stage/list.txt"
while read -r a b c _; do
	case $a:$b in
	linux-vdso.so.*) ;;
	*:"=>")
		case $(readlink -f "$c") in
		"$(readlink -f "$top/lib")"/*) ;;
		*) die "$a resolves outside the bundle: $c" ;;
		esac ;;
	esac
done <"$stage/list.txt"

# ---- pack ---------------------------------------------------------------------
mtime=${SOURCE_DATE_EPOCH:-$(stat -c %Y "$builddir/src/fluxbase-fcgi")}
tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" \
	-cf - "$name" | gzip -n -9 >"$out.tmp.$$"
mv "$out.tmp.$$" "$out"
echo "make-bundle: $out ($(du -k "$out" | cut -f1) KiB, ${#seen[@]} libraries)"
