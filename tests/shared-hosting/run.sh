#!/bin/bash
# tests/shared-hosting/run.sh - fluxbase-fcgi on a real shared host: a Unix
# user with a home and public_html, PostgreSQL with one login that is
# NOSUPERUSER NOCREATEROLE NOCREATEDB NOBYPASSRLS and owns database "site",
# the bundle (make bundle) unpacked by that user, fluxbase-setup-site run by
# that user with that login, and Apache 2.4 + mod_fcgid + suexec serving
# public_html with AllowOverride All: the API is configured by its
# .htaccess only.  Apache and all it spawns run in a mount namespace that
# hides the system's copies of the bundled libraries.  The set-up is
# tests/lib/shared_hosting.sh (script/server --shared-hosting uses it too).
#
# Then, through Apache: the deploy smoke suite; two users cannot see each
# other's rows; anon reads only what was exposed to anon; RLS not forced
# answers 403 RLS_REQUIRED; the sign-in rate limit holds across several
# mod_fcgid processes; a new column shows within schema_poll seconds; a
# magic link lands in the user's mail dir; stored files belong to the
# user (suexec); Authorization reaches the worker; an over-limit body
# answers 413 JSON.  Needs root (useradd, suexec, mount namespaces): 77
# otherwise.  KEEP_STACK=1 keeps the directory, the user and its home.
set -eu
: "${top_srcdir:?}" "${top_builddir:?}"
if [ "$(id -u)" != 0 ]; then
	echo "shared-hosting: SKIP: needs root (useradd, suexec, mount namespaces)"
	exit 77
fi
. "$top_srcdir/tests/lib/stack.sh"
. "$top_srcdir/tests/lib/shared_hosting.sh"
stack_clean_env
unset FLUXBASE_BIN

# ---- packages (Debian's) ----------------------------------------------------
missing=()
for p in apache2 libapache2-mod-fcgid postgresql; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ -u /usr/lib/apache2/suexec ] || missing+=(apache2-suexec-pristine)
if [ ${#missing[@]} -gt 0 ]; then
	echo "shared-hosting: installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
		>/dev/null || sh_die "apt-get install ${missing[*]} failed"
fi

# ---- the host ------------------------------------------------------------------
dir=$(mktemp -d /tmp/fluxbase-shared.XXXXXX)
SH_DIR=$dir
SH_USER=
tmp=$dir/client
mkdir -p "$tmp"
cleanup() {
	local status=$?
	trap - EXIT INT TERM
	sh_apache_stop
	sh_pg_down
	# A sanitizer build (script/test --sanitize): the workers' reports go to
	# Apache's error log (their stderr) or the API's log.
	if grep -l -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$dir/apache/error.log" \
		"${SH_HOME:-/nonexistent}/fluxbase/log/"*.log 2>/dev/null; then
		echo "shared-hosting: sanitizer reports in the logs above"
		status=1
	fi
	if [ "$status" != 0 ]; then
		for f in "$dir/apache/error.log" "${SH_HOME:-/nonexistent}/fluxbase/log/fluxbase.log" \
			"$dir/log/postgresql/postgresql.log"; do
			[ -s "$f" ] || continue
			echo "--- $f"
			tail -n 20 "$f"
		done
		echo "--- suexec.log"
		tail -n 5 /var/log/apache2/suexec.log 2>/dev/null || true
	fi
	if [ -n "${KEEP_STACK:-}" ]; then
		echo "kept $dir and user ${SH_USER:-} (home ${SH_HOME:-})"
	else
		sh_user_delete
		rm -rf "$dir"
	fi
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() { echo "shared-hosting: $*" >&2; exit 1; }

# The bundle, made from this build (or SH_BUNDLE_TARBALL, one made before).
tarball=${SH_BUNDLE_TARBALL:-}
if [ -z "$tarball" ]; then
	make -s -C "$top_builddir" bundle >"$dir/bundle.log" 2>&1 ||
		{ tail -n 20 "$dir/bundle.log" >&2; fail "make bundle failed"; }
	tarball=$(ls -t "$top_builddir"/fluxbase-fcgi-*-x86_64-linux-gnu.tar.gz 2>/dev/null | head -n 1)
	[ -n "$tarball" ] || fail "make bundle wrote no fluxbase-fcgi-*-x86_64-linux-gnu.tar.gz"
fi

# The libraries to hide: what the build's own binary loads beyond glibc.
SH_HIDDEN=$(sh_hide_libs "$top_builddir/src/fluxbase-fcgi" | tr '\n' ' ')
for l in libfcgi libjson-c libjwt libsodium libpq; do
	case " $SH_HIDDEN" in *"/$l.so"*) ;; *) fail "$l is not among the libraries to hide: $SH_HIDDEN" ;; esac
done
# The namespace really hides them: the build's binary cannot start there.
if sh_hidden "$top_builddir/src/fluxbase-fcgi" --version >/dev/null 2>&1; then
	fail "the build's binary started although its libraries were hidden"
fi

SH_PORT=$(stack_free_port $((30000 + $$ % 10000)))
sh_user_create "fbsh$$"
sh_pg_up
sh_bundle_install "$tarball"
out=$(sh_as_user "$SH_BIN" --version 2>&1) || fail "the bundle's binary does not start without the system's libraries: $out"

# ---- first run: setup-site as the user -------------------------------------------
# A wrong password: one clear line, and no config left naming it.
good_url=$SH_DB_URL
SH_DB_URL=${good_url/:$(cat "$dir/db_password")@/:wrong-password@}
if sh_setup_site --max-request-len 33554432 >"$tmp/setup-bad.out" 2>"$tmp/setup-bad.err"; then
	fail "setup-site accepted a wrong database password"
fi
[ "$(wc -l <"$tmp/setup-bad.err")" = 1 ] && grep -q '^fluxbase-setup-site: ' "$tmp/setup-bad.err" ||
	fail "setup-site's error for a wrong password is not one line: $(cat "$tmp/setup-bad.err")"
[ ! -e "$SH_HOME/fluxbase/fluxbase.conf" ] || fail "setup-site kept a config naming a login that failed"
SH_DB_URL=$good_url
sh_setup_site --max-request-len 33554432 >"$tmp/setup.out" 2>&1 ||
	{ cat "$tmp/setup.out" >&2; fail "setup-site failed"; }
svc=$(sed -n 's/^ *service token: *//p' "$tmp/setup.out")
[ -n "$svc" ] || fail "setup-site printed no service token: $(cat "$tmp/setup.out")"
# Secrets readable by the user only; a second run keeps them.
for f in "$SH_CONF" "$SH_HOME/fluxbase/secrets/jwt_secret" "$SH_HOME/fluxbase/secrets/signing_key"; do
	[ "$(stat -c '%U %a' "$f")" = "$SH_USER 600" ] || fail "$f: $(stat -c '%U %a' "$f"), expected $SH_USER 600"
done
sums=$(cat "$SH_HOME/fluxbase/secrets/"* | sha256sum)
# (the second time without --max-request-len: the value given before stays)
sh_setup_site >"$tmp/setup2.out" 2>&1 ||
	{ cat "$tmp/setup2.out" >&2; fail "setup-site failed the second time"; }
grep -q 'Content-Length} -gt33554432$' "$SH_PUBLIC/api/.htaccess" ||
	fail "the second setup-site forgot --max-request-len"
[ "$sums" = "$(cat "$SH_HOME/fluxbase/secrets/"* | sha256sum)" ] || fail "a second setup-site changed the secrets"
grep -q "^  service token: " "$tmp/setup2.out" || fail "the second setup-site printed no token"
grep -q 'exec "$bin"' "$SH_PUBLIC/api/fluxbase.fcgi" && grep -q "^bin='$SH_BIN'" "$SH_PUBLIC/api/fluxbase.fcgi" ||
	fail "the installed entry does not name the bundle's binary"

# migrate says which mode a login fits, in one line: the site's login in
# roles mode (it cannot create roles), a superuser in single mode (no
# policy would apply to it) are refused, and nothing is migrated.
sed 's/^mode = single$/mode = roles/' "$SH_CONF" >"$tmp/roles.conf"
grep -q '^mode = roles$' "$tmp/roles.conf" || fail "no mode line to change in $SH_CONF"
if out=$("$SH_BIN" -c "$tmp/roles.conf" migrate 2>&1); then
	fail "migrate in roles mode accepted the site's login, which cannot create roles"
fi
case $out in *"set [database] mode = single"*) ;; *) fail "migrate's refusal in roles mode: $out" ;; esac
sed "s|^url = .*|url = host=$SH_DIR/pgrun port=$SH_PG_PORT dbname=site user=$STACK_PG_SUPER|" "$SH_CONF" >"$tmp/super.conf"
if out=$("$SH_BIN" -c "$tmp/super.conf" migrate 2>&1); then
	fail "migrate in single mode accepted a superuser login"
fi
case $out in *"single mode needs a login that row-level security applies to"*"superuser"*) ;;
*) fail "migrate's refusal of a superuser in single mode: $out" ;; esac

# The test's own settings on top of what setup-site wrote: JSON logs (the
# worker's pid in each access line), a sign-in limit of 3 per address, the
# address from X-Forwarded-For (so the limit test has an address of its
# own).  The password hash keeps its default cost (~0.1 s): sign-ins then
# keep a process busy long enough for mod_fcgid to start others.
cat >>"$SH_CONF" <<'EOT'

# tests/shared-hosting/run.sh
[server]
log_format = json
[auth]
rate_limit_signin = 3
trusted_proxy_header = X-Forwarded-For
EOT
psql -X -q -v ON_ERROR_STOP=1 "$SH_DB_URL" -f "$top_srcdir/tests/shared-hosting/fixture.sql" >/dev/null ||
	fail "the fixture failed as the site's login"

SH_FCGID_MAX_REQUEST_LEN=33554432 SH_FCGID_MAX_PROCS=4 sh_apache_start
url=http://127.0.0.1:$SH_PORT/api/v1


# ---- client helpers -------------------------------------------------------------
# req METHOD PATH [curl args]: $code, the body in $tmp/body, headers in $tmp/head.
req() {
	local m=$1 p=$2 out
	shift 2
	out=$(curl -sS --max-time 60 -o "$tmp/body" -D "$tmp/head" -w '%{http_code} %{content_type}' \
		-X "$m" "$url$p" "$@") || fail "$m $p: curl failed"
	code=${out%% *}
	ctype=${out#* }
}
expect() { # expect STATUS WHAT
	[ "$code" = "$1" ] || fail "$2: status $code, expected $1: $(head -c 300 "$tmp/body")"
	case $code:$ctype in 204:* | *:application/json*) ;; *) fail "$2: Content-Type '$ctype'" ;; esac
}
has() { grep -q -- "$1" "$tmp/body" || fail "$2: body lacks $1: $(head -c 300 "$tmp/body")"; }
lacks() { ! grep -q -- "$1" "$tmp/body" || fail "$2: body has $1: $(head -c 300 "$tmp/body")"; }
field() { sed -n "s/.*\"$1\" *: *\"\([^\"]*\)\".*/\1/p" "$tmp/body" | head -n 1; }
J='Content-Type: application/json'
signup() { # signup EMAIL: a session's access token in $token, the user's id in $uid
	req POST /auth/signup -H "$J" -d "{\"email\":\"$1\",\"password\":\"shared hosting pw\"}"
	expect 201 "signup $1"
	token=$(field access_token)
	[ -n "$token" ] || fail "signup $1: no access_token"
	req GET /auth/user -H "Authorization: Bearer $token"
	expect 200 "auth/user of $1"
	uid=$(field id)
}

# ---- the deploy smoke suite, through the .htaccess -----------------------------------
# (SMOKE_WEB_ERRORS=0: what Apache answers before it reads any .htaccess,
# a malformed request or oversized headers or URI, is the host's page.)
SMOKE_WEB_ERRORS=0 "$top_srcdir/tests/deploy/smoke.sh" "$url" "$svc" shared-hosting
grep -q '"path":"/api/v1/auth/user"' "$SH_HOME/fluxbase/log/access.log" ||
	fail "the smoke suite's requests are not in the user's access log"

# ---- suexec: the workers run as the user, in the namespace ------------------------------------
pids=$(pgrep -u "$SH_USER" -f "$SH_BUNDLE/" || true)
[ -n "$pids" ] || fail "no fluxbase-fcgi process runs as $SH_USER"
if pgrep -u www-data -f "$SH_BUNDLE/" >/dev/null; then fail "a fluxbase-fcgi process runs as www-data"; fi
libpq=$(printf '%s\n' $SH_HIDDEN | grep '/libpq\.so' | head -n 1)
for pid in $pids; do
	grep -q " $libpq " "/proc/$pid/mountinfo" ||
		fail "worker $pid does not run in the namespace that hides the libraries"
	maps=$(awk '$6 ~ /\.so/ { print $6 }' "/proc/$pid/maps" | sort -u)
	outside=$(printf '%s\n' "$maps" | grep -v "^$SH_BUNDLE/lib/" || true)
	[ -z "$outside" ] || fail "worker $pid mapped libraries from outside the bundle: $outside"
done

# ---- Authorization reaches the worker; two users, owner policies -----------------------
signup "alice-$$@example.com"; ta=$token ua=$uid
signup "bob-$$@example.com"; tb=$token ub=$uid
[ "$ua" != "$ub" ] || fail "two users with one id"
req POST /tables/notes -H "Authorization: Bearer $ta" -H "$J" -d '{"body":"alice private"}'
expect 201 "alice's insert"
req POST /tables/notes -H "Authorization: Bearer $tb" -H "$J" -d '{"body":"bob private"}'
expect 201 "bob's insert"
req GET '/tables/notes?select=owner,body' -H "Authorization: Bearer $ta"
expect 200 "alice's read"
has '"alice private"' "alice's read"
lacks '"bob private"' "alice's read"
lacks "$ub" "alice's read"
req GET '/tables/notes?select=owner,body' -H "Authorization: Bearer $tb"
expect 200 "bob's read"
has '"bob private"' "bob's read"
lacks '"alice private"' "bob's read"
# Bob cannot change Alice's row, nor write one in her name.
req PATCH '/tables/notes?body=eq.alice%20private' -H "Authorization: Bearer $tb" -H "$J" -d '{"body":"bob was here"}'
req GET '/tables/notes?body=eq.alice%20private&select=body' -H "Authorization: Bearer $ta"
has '"alice private"' "alice's row after bob's update"
req POST /tables/notes -H "Authorization: Bearer $tb" -H "$J" -d "{\"owner\":\"$ua\",\"body\":\"forged\"}"
case $code in 4??) ;; *) fail "bob wrote a row in alice's name: status $code" ;; esac
# Without a token nothing of notes is readable.
req GET /tables/notes
case $code in 401 | 403) ;; 200) lacks private "anon's read of notes" ;; *) fail "anon's read of notes: status $code" ;; esac

# ---- a signed-out session is refused on the very next request, by every process -----------------
# (The session check reads auth.sessions under forced row-level security as the login.)
signup "carol-$$@example.com"; tc=$token
for i in 1 2 3 4 5 6; do
	req GET '/tables/notes?select=body' -H "Authorization: Bearer $tc"
	expect 200 "carol's read before she signs out"
done
req POST /auth/signout -H "Authorization: Bearer $tc"
expect 200 "carol's sign-out"
for i in 1 2 3 4 5 6 7 8; do
	req GET '/tables/notes?select=body' -H "Authorization: Bearer $tc"
	expect 401 "carol's read after she signed out (request $i)"
	req GET /auth/user -H "Authorization: Bearer $tc"
	expect 401 "carol's auth/user after she signed out (request $i)"
done

# ---- anon reads only what was exposed to anon -------------------------------------------------
req GET '/tables/posts?select=title&order=id'
expect 200 "anon's read of posts"
has '"first post"' "anon's read of posts"
req POST /tables/posts -H "$J" -d '{"title":"anon spam"}'
case $code in 401 | 403) ;; *) fail "anon inserted into posts (exposed to anon for select only): status $code" ;; esac
req GET /tables/drafts
case $code in 401 | 403) ;; 200) lacks 'unpublished' "anon's read of drafts" ;; *) fail "anon's read of drafts: status $code" ;; esac
lacks 'unpublished' "anon's read of drafts"
req GET /tables/drafts -H "Authorization: Bearer $ta"
expect 200 "a user's read of drafts"
has 'unpublished' "a user's read of drafts"
req POST /tables/posts -H "Authorization: Bearer $ta" -H "$J" -d '{"title":"by alice"}'
expect 201 "a user's insert into posts"

# ---- RLS enabled but not forced: 403 RLS_REQUIRED with the SQL to fix it ------------------------
req GET /tables/loose -H "Authorization: Bearer $ta"
expect 403 "a table with RLS not forced"
has '"code" *: *"RLS_REQUIRED"' "a table with RLS not forced"
has 'FORCE ROW LEVEL SECURITY' "RLS_REQUIRED's hint"
lacks 'must not be served' "a table with RLS not forced"

# ---- a new column shows within schema_poll (2 s) -----------------------------------------------
req GET '/tables/posts?select=title,extra' -H "Authorization: Bearer $ta"
[ "$code" = 400 ] || fail "select of a column that does not exist yet: status $code"
psql -X -q -v ON_ERROR_STOP=1 "$SH_DB_URL" -c "ALTER TABLE posts ADD COLUMN extra text DEFAULT 'fresh'"
t0=$(date +%s%N)
until req GET '/tables/posts?select=title,extra&limit=1' -H "Authorization: Bearer $ta"; [ "$code" = 200 ]; do
	[ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 4000 ] || fail "the new column is not served after 4 s (schema_poll = 2)"
	sleep 0.2
done
has '"fresh"' "the new column"
echo "shared-hosting: the new column was served after $(( ($(date +%s%N) - t0) / 1000000 )) ms"

# ---- exposures change within schema_poll: a function, a table -------------------------------------
# within_poll STATUS WHAT METHOD PATH [curl args]: the answer becomes STATUS within 4 s.
within_poll() {
	local want=$1 what=$2 t0
	shift 2
	t0=$(date +%s%N)
	until req "$@"; [ "$code" = "$want" ]; do
		[ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 4000 ] ||
			fail "$what: status $code after 4 s, expected $want: $(head -c 300 "$tmp/body")"
		sleep 0.2
	done
}
sql() { psql -X -q -v ON_ERROR_STOP=1 "$SH_DB_URL" -c "$1" >/dev/null || fail "psql: $1"; }
# A function runs as the login: not exposed, nobody but the service role calls it.
req POST /rpc/loose_peek -H "$J" -d '{}'
expect 401 "anon's call of a function not exposed"
has '"code" *: *"42501"' "anon's call of a function not exposed"
lacks 'must not be served' "anon's call of a function not exposed"
req POST /rpc/loose_peek -H "Authorization: Bearer $ta" -H "$J" -d '{}'
expect 403 "a user's call of a function not exposed"
has 'auth.expose_function' "the hint of a function not exposed"
req POST /rpc/loose_peek -H "Authorization: Bearer $svc" -H "$J" -d '{}'
expect 200 "the service role's call of a function"
sql "SELECT auth.expose_function('public.loose_peek()', 'authenticated')"
within_poll 200 "a user's call once exposed" POST /rpc/loose_peek -H "Authorization: Bearer $ta" -H "$J" -d '{}'
req POST /rpc/loose_peek -H "$J" -d '{}'
expect 401 "anon's call of a function exposed to authenticated only"
sql "SELECT auth.unexpose_function('public.loose_peek()', 'authenticated')"
within_poll 403 "a user's call once unexposed" POST /rpc/loose_peek -H "Authorization: Bearer $ta" -H "$J" -d '{}'
# A table unexposed: its restrictive policy refuses the role again.
sql "SELECT auth.unexpose('public.drafts', 'authenticated', 'select')"
within_poll 403 "a user's read of drafts once unexposed" GET /tables/drafts -H "Authorization: Bearer $ta"
lacks 'unpublished' "a user's read of drafts once unexposed"
sql "SELECT auth.expose('public.drafts', 'authenticated', 'select')"
within_poll 200 "a user's read of drafts exposed again" GET /tables/drafts -H "Authorization: Bearer $ta"
has 'unpublished' "a user's read of drafts exposed again"

# ---- a magic link lands in the user's mail dir, written as the user -----------------------------
req POST /auth/magiclink -H "$J" -d "{\"email\":\"alice-$$@example.com\"}"
case $code in 200 | 204) ;; *) fail "magiclink: status $code: $(head -c 300 "$tmp/body")" ;; esac
i=0
until mail=$(grep -l "alice-$$@example.com" "$SH_HOME/fluxbase/mail/"* 2>/dev/null | head -n 1); [ -n "$mail" ]; do
	i=$((i + 1))
	[ $i -lt 50 ] || fail "no magic-link mail for alice in $SH_HOME/fluxbase/mail"
	sleep 0.1
done
grep -q 'token=\|/verify' "$mail" || fail "the mail holds no link: $(head -c 400 "$mail")"
[ "$(stat -c %U "$mail")" = "$SH_USER" ] || fail "the mail belongs to $(stat -c %U "$mail"), not $SH_USER"

# ---- stored files belong to the user (suexec) -----------------------------------------------------
req POST /storage/buckets/shfiles -H "Authorization: Bearer $svc" -H "$J" -d '{"public":false}'
expect 201 "bucket"
head -c 200000 /dev/urandom >"$tmp/file.bin"
req POST /storage/shfiles/a.bin -H "Authorization: Bearer $ta" -H 'Content-Type: application/octet-stream' \
	--data-binary "@$tmp/file.bin"
expect 201 "upload"
owners=$(find "$SH_HOME/fluxbase/storage" -type f -printf '%u\n' | sort -u)
[ "$owners" = "$SH_USER" ] || fail "stored files belong to '$owners', expected $SH_USER"
req GET /storage/shfiles/a.bin -H "Authorization: Bearer $ta"
cmp -s "$tmp/body" "$tmp/file.bin" || fail "download: bytes differ"

# ---- Authorization: either of the .htaccess's two ways passes it to mod_fcgid -------------------
# (CGIPassAuth On for Apache >= 2.4.13, the rewrite into the environment for
# older hosts); without both the worker never sees it.  The .htaccess is read
# again on every request, so each variant is the user's own edit.
ht=$SH_PUBLIC/api/.htaccess
cp "$ht" "$tmp/htaccess"
auth_with() { # auth_with WHAT STATUS SED-SCRIPT
	sed -e "$3" "$tmp/htaccess" >"$tmp/htaccess.v"
	install -o "$SH_USER" -g "$SH_USER" -m 0644 "$tmp/htaccess.v" "$ht"
	req GET /auth/user -H "Authorization: Bearer $ta"
	[ "$code" = "$2" ] || fail "Authorization with $1: status $code, expected $2"
}
auth_with "CGIPassAuth alone" 200 '/E=HTTP_AUTHORIZATION/d'
auth_with "the rewrite alone" 200 '/CGIPassAuth/d'
auth_with "neither" 401 '/CGIPassAuth/d; /E=HTTP_AUTHORIZATION/d'
install -o "$SH_USER" -g "$SH_USER" -m 0644 "$tmp/htaccess" "$ht"

# ---- bodies over the host's FcgidMaxRequestLen: 413 JSON; chunked ones 411 (size unknown) ------------------
head -c $((33554432 + 1)) /dev/zero >"$tmp/big.bin"
req POST /storage/shfiles/big.bin -H "Authorization: Bearer $ta" -H 'Content-Type: application/octet-stream' \
	--data-binary "@$tmp/big.bin"
expect 413 "a body over FcgidMaxRequestLen"
has '"code" *: *"PAYLOAD_TOO_LARGE"' "a body over FcgidMaxRequestLen"
req POST /storage/shfiles/big.bin -H "Authorization: Bearer $ta" -H 'Content-Type: application/octet-stream' \
	-H 'Transfer-Encoding: chunked' --data-binary "@$tmp/big.bin"
expect 411 "a chunked body (its size unknown before mod_fcgid reads it)"
has '"code" *: *"LENGTH_REQUIRED"' "a chunked body"
rm -f "$tmp/big.bin"

# ---- the sign-in limit (3 per address) holds across mod_fcgid's processes ---------------------
# First, sign-ins at once from addresses of their own (each hashes a
# password) until mod_fcgid, finding its processes busy, runs several.
# Then 12 sign-ins at once from one address (X-Forwarded-For, trusted by
# the config): the counters live in PostgreSQL, so exactly 3 pass,
# whichever process served each.
signin_burst() { # signin_burst N ADDRESS ("%i": the request's number)
	local i
	for i in $(seq 1 "$1"); do
		curl -sS --max-time 60 -o /dev/null -w '%{http_code}\n' -X POST "$url/auth/signin" -H "$J" \
			-H "X-Forwarded-For: ${2//%i/$i}" \
			-d "{\"email\":\"alice-$$@example.com\",\"password\":\"wrong password $i\"}" >"$tmp/rl.$i" &
	done
	wait
}
for round in 1 2 3 4 5 6; do
	[ "$(pgrep -u "$SH_USER" -f "$SH_BUNDLE/" | wc -l)" -lt 3 ] || break
	signin_burst 8 "198.51.$round.%i"
done
rm -f "$tmp"/rl.*
log=$SH_HOME/fluxbase/log/access.log
mark=$(wc -l <"$log")
signin_burst 12 203.0.113.77
limited=$(cat "$tmp"/rl.* | grep -c '^429$' || true)
passed=$(cat "$tmp"/rl.* | grep -vc '^429$' || true)
[ "$limited" = 9 ] && [ "$passed" = 3 ] ||
	fail "sign-in limit 3 across processes: $passed passed and $limited were refused: $(cat "$tmp"/rl.* | tr '\n' ' ')"
sleep 1.5 # access lines are written within a second
served=$(tail -n +"$((mark + 1))" "$log" | grep '"path":"/api/v1/auth/signin"' |
	sed -n 's/.*"pid":\([0-9]*\).*/\1/p' | sort -u | wc -l)
[ "$served" -gt 1 ] || fail "the sign-ins were served by $served process(es); mod_fcgid should have run several"
procs=$(pgrep -u "$SH_USER" -f "$SH_BUNDLE/" | wc -l)
echo "shared-hosting: 12 sign-ins at once: 3 passed, 9 refused, served by $served processes ($procs running as $SH_USER)"

echo "shared-hosting: passed"
