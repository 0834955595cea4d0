#!/bin/bash
# tests/deploy/smoke.sh URL SERVICE_TOKEN NAME - the smoke suite every way of
# deploying (deploy/*) must pass, run through the web server in front:
# health, sign-up and sign-in, the Authorization header reaching the worker,
# a table write and read under row-level security with a user's token, an
# upload and a byte-exact download (3 MiB on /api/v1, 17 MiB streamed on
# /storage/v1), a JSON 404, the Supabase-compatible prefixes (/rest/v1,
# /auth/v1, /storage/v1, an upload path included) reaching the pool and
# /rest/v1 reading as the user, and the web server's own
# errors (headers or URI too large, a malformed request) in the JSON error
# shape without the server's name or version.
# Needs the table "notes" of tests/integration/fixture.sql.
set -euo pipefail
url=$1 svc=$2 name=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "smoke [$name]: $*" >&2
	exit 1
}
# req METHOD PATH [curl args]: sets $code and $ctype; the body is in $tmp/body.
req() {
	local m=$1 p=$2 out
	shift 2
	out=$(curl -sS --max-time 30 -o "$tmp/body" -D "$tmp/head" -w '%{http_code} %{content_type}' -X "$m" \
		"$url$p" "$@") || fail "$m $p: curl failed"
	code=${out%% *}
	ctype=${out#* }
}
expect() {
	[ "$code" = "$1" ] || fail "$2: status $code, expected $1: $(head -c 300 "$tmp/body")"
	case $code:$ctype in
	204:* | *:application/json*) ;;
	*) fail "$2: Content-Type '$ctype', expected JSON" ;;
	esac
}
field() { sed -n "s/.*\"$1\" *: *\"\([^\"]*\)\".*/\1/p" "$tmp/body" | head -n 1; }
has() { grep -q -- "$1" "$tmp/body" || fail "$2: body lacks $1: $(head -c 300 "$tmp/body")"; }
J='Content-Type: application/json'
# req_root: req on the site's root (the Supabase-compatible prefixes).
root=${url%/api/v1}
req_root() {
	local api=$url
	url=$root
	req "$@"
	url=$api
}

req GET /health
expect 200 health
has '"database" *: *"ok"' health

email="smoke-$name-$RANDOM$$@example.com"
req POST /auth/signup -H "$J" -d "{\"email\":\"$email\",\"password\":\"smoke test password\"}"
expect 201 signup
req POST /auth/signin -H "$J" -d "{\"email\":\"$email\",\"password\":\"smoke test password\"}"
expect 200 signin
token=$(field access_token)
[ -n "$token" ] || fail "signin: no access_token"
user="Authorization: Bearer $token"

# The header reached the worker: it knows who we are.
req GET /auth/user -H "$user"
expect 200 "auth/user with a token"
has "\"$email\"" "auth/user"
uid=$(field id)
req GET /auth/user
expect 401 "auth/user without a token"

# A table under row-level security, written and read with the user's token.
req POST /tables/notes -H "$user" -H "$J" -d "{\"body\":\"smoke $name\"}"
expect 201 "table insert"
has "\"owner\" *: *\"$uid\"" "table insert"
req GET "/tables/notes?body=eq.smoke%20$name&select=owner,body" -H "$user"
expect 200 "table read"
has "\"owner\" *: *\"$uid\"" "table read"
[ "$(grep -o '"owner"' "$tmp/body" | wc -l)" = 1 ] || fail "table read: RLS let other rows through"

# Storage: 3 MiB up (several FastCGI records each way) and back, byte-exact.
bucket="smoke-$name-$$"
req POST "/storage/buckets/$bucket" -H "Authorization: Bearer $svc" -H "$J" -d '{"public":false}'
expect 201 "bucket"
head -c 3145728 /dev/urandom >"$tmp/up.bin"
req POST "/storage/$bucket/dir/blob.bin" -H "$user" -H 'Content-Type: application/octet-stream' \
	--data-binary "@$tmp/up.bin"
expect 201 "upload"
req GET "/storage/$bucket/dir/blob.bin" -H "$user"
[ "$code" = 200 ] || fail "download: status $code"
cmp -s "$tmp/body" "$tmp/up.bin" || fail "download: bytes differ from the upload"
req DELETE "/storage/$bucket/dir/blob.bin" -H "$user"
expect 204 "delete object"
# The same through Supabase Storage's paths, 17 MiB: above what the web
# server reads whole (16 MiB with nginx), so it streams to the worker.
head -c 17825792 /dev/urandom >"$tmp/big.bin"
req_root POST "/storage/v1/object/$bucket/dir/big.bin" -H "$user" -H "apikey: $svc" \
	-H 'Content-Type: application/octet-stream' --data-binary "@$tmp/big.bin"
expect 200 "/storage/v1 upload"
req_root GET "/storage/v1/object/authenticated/$bucket/dir/big.bin" -H "$user" -H "apikey: $svc"
[ "$code" = 200 ] || fail "/storage/v1 download: status $code"
cmp -s "$tmp/body" "$tmp/big.bin" || fail "/storage/v1 download: bytes differ from the upload"
req DELETE "/storage/$bucket/dir/big.bin" -H "$user"
expect 204 "delete the /storage/v1 upload"
req DELETE "/storage/buckets/$bucket" -H "Authorization: Bearer $svc"
expect 204 "delete bucket"

# The Supabase-compatible prefixes reach the pool, not the web server's
# 404: without an apikey each answers the pool's 401 in its own shape, an
# upload's path (which some servers stream) included.  The service token
# is a key (service_role, no user): with it, /rest/v1 reads the table by
# its exact name as the user, the key in the header or the query.
req_root GET /rest/v1/
expect 401 "/rest/v1/ without an apikey"
has '"message" *: *"No API key found in request"' "/rest/v1/ without an apikey"
req_root GET /auth/v1/settings
expect 401 "/auth/v1 without an apikey"
has '"msg" *: *"No API key found in request"' "/auth/v1 without an apikey"
req_root GET /storage/v1/bucket
expect 401 "/storage/v1 without an apikey"
has '"statusCode" *: *"401"' "/storage/v1 without an apikey"
head -c 1024 /dev/urandom >"$tmp/small.bin"
req_root POST "/storage/v1/object/b1/dir/up.bin" -H 'Content-Type: application/octet-stream' \
	--data-binary "@$tmp/small.bin"
expect 401 "/storage/v1 upload without an apikey"
has '"statusCode" *: *"401"' "/storage/v1 upload without an apikey"
req_root GET "/rest/v1/notes?body=eq.smoke%20$name&select=owner,body" -H "$user" -H "apikey: $svc"
expect 200 "/rest/v1 read"
has "\"owner\" *: *\"$uid\"" "/rest/v1 read"
[ "$(grep -o '"owner"' "$tmp/body" | wc -l)" = 1 ] || fail "/rest/v1 read: RLS let other rows through"
req_root GET "/rest/v1/notes?apikey=$svc&body=eq.smoke%20$name&select=owner" -H "$user"
expect 200 "/rest/v1 read, the apikey in the query"
has "\"owner\" *: *\"$uid\"" "/rest/v1 read, the apikey in the query"

# Errors are JSON too.
req GET /no/such/route -H "$user"
expect 404 "unknown route"
has '"code"' "unknown route"

# Errors the web server makes itself before any per-directory config is read
# (SMOKE_WEB_ERRORS=0 where that config is the host's own: shared hosting).
if [ "${SMOKE_WEB_ERRORS:-1}" = 1 ]; then
# Errors the web server makes itself (before or without the pool) are JSON
# too, and tell nothing about the server.
web_error() { # web_error WHAT: a 4xx in the JSON error shape, no name or version
	case $code in 4??) ;; *) fail "$1: status $code, expected 4xx: $(head -c 300 "$tmp/body")" ;; esac
	expect "$code" "$1"
	has '"code" *: *"[A-Z_]*"' "$1"
	! grep -qi '<html' "$tmp/body" || fail "$1: an HTML page: $(head -c 300 "$tmp/body")"
	! grep -qiE 'nginx|apache|lighttpd' "$tmp/body" || fail "$1: the body names the server: $(head -c 300 "$tmp/body")"
	! grep -qiE '^server:.*[0-9]' "$tmp/head" || fail "$1: $(grep -i '^server:' "$tmp/head")"
}
req GET /health -H "X-Padding: $(head -c 65536 /dev/zero | tr '\0' a)"
web_error "a 64 KiB header"
req GET "/health?$(head -c 70000 /dev/zero | tr '\0' a)"
web_error "a 70 KB URI"
# A request line no server accepts.
python3 - "$url" >"$tmp/raw" <<'EOT' || fail "malformed request: no answer"
import socket, sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
s = socket.create_connection((u.hostname, u.port), timeout=10)
s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
data = b""
while True:
    c = s.recv(65536)
    if not c:
        break
    data += c
sys.stdout.write(data.decode("latin-1"))
EOT
code=$(sed -n '1s/^HTTP\/1\.[01] \([0-9]*\).*/\1/p' "$tmp/raw")
ctype=$(sed -n 's/^[Cc]ontent-[Tt]ype: *\([^\r]*\).*/\1/p' "$tmp/raw" | head -n 1)
sed '/^\r\{0,1\}$/q' "$tmp/raw" >"$tmp/head"
sed '1,/^\r\{0,1\}$/d' "$tmp/raw" >"$tmp/body"
web_error "a malformed header line"

fi

echo "smoke [$name]: ok"
