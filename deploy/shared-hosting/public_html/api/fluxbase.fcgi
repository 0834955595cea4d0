#!/bin/sh
# public_html/api/fluxbase.fcgi - the FastCGI entry mod_fcgid starts (through
# suexec, as the site's user) when a request reaches /api/v1/...
#
# mod_fcgid hands the process its listening socket as fd 0; exec keeps it,
# and fluxbase-fcgi then runs as one worker without a master (mod_fcgid
# starts more processes under load).  suexec clears the environment and
# shared hosts rarely allow FcgidInitialEnv, so nothing but this file says
# where the binary and its config are: fluxbase-setup-site writes their
# absolute paths below into the copy it installs.
bin='@FLUXBASE_BIN@'
conf='@FLUXBASE_CONF@'
case $bin in
@*)
	echo "fluxbase.fcgi: not configured; run fluxbase-setup-site, which installs a filled-in copy" >&2
	exit 1
	;;
esac
exec "$bin" -c "$conf" serve
