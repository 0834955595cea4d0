#!/bin/bash
# tests/deploy/smoke.sh URL SERVICE_TOKEN NAME - the smoke suite every way of
# deploying (deploy/*) must pass, run through the web server in front:
# health, sign-up and sign-in, the Authorization header reaching the worker,
# a table write and read under row-level security with a user's token, an
# upload and a byte-exact download, and a JSON 404.
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
	out=$(curl -sS --max-time 30 -o "$tmp/body" -w '%{http_code} %{content_type}' -X "$m" \
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
req DELETE "/storage/buckets/$bucket" -H "Authorization: Bearer $svc"
expect 204 "delete bucket"

# Errors are JSON too.
req GET /no/such/route -H "$user"
expect 404 "unknown route"
has '"code"' "unknown route"

echo "smoke [$name]: ok"
