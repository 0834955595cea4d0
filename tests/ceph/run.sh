#!/bin/bash
# tests/ceph/run.sh - the Ceph harness (tests/lib/ceph.sh) gives the suites a
# working S3 store, and stops cleanly.
#
# Design: one cluster in a temporary directory, brought up from nothing by
# ceph_up, then driven only as a client would, with signed requests (curl
# --aws-sigv4, the credentials ceph.env exports):
#   - the secrets' files are 0600, no log holds the secret key, a request
#     without a signature or with a wrong secret is refused (403);
#   - PUT, GET, HEAD, ranged GET (206 and the exact bytes), ListObjectsV2
#     (ceph_s3_list: pages, names with spaces and '&'), DELETE (then 404);
#   - a ~20 MiB multipart upload (three parts; ceph_s3_uploads sees it in
#     progress, then not), read back whole (sha256) and across a part
#     boundary, then deleted and collected by rgw's gc; an aborted upload
#     leaves nothing;
#   - the gateway stopped (connection refused) and started again: the object
#     is still there; killed (SIGKILL) mid-download: the transfer is cut,
#     and after a start the object reads back whole;
#   - the whole cluster stopped and started again from its directory (the
#     OSD's memstore saved the objects): the object is still there;
#   - ceph_down leaves no process naming the cluster's config.
# Start and stop times and the daemons' RSS are printed.  Everything started
# is stopped on exit, failure included.  Exit 77 (skip) only when Ceph is not
# installed (script/setup installs it).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/ceph.sh"

name=ceph
if ! command -v radosgw >/dev/null 2>&1 || ! command -v ceph-mon >/dev/null 2>&1 ||
	! command -v ceph-osd >/dev/null 2>&1; then
	echo "$name: SKIP: Ceph is not installed (script/setup installs ceph-mon ceph-osd radosgw ceph-common)"
	exit 77
fi

tmp=$(mktemp -d /tmp/fluxbase-ceph.XXXXXX)
cleanup() {
	local st=$?
	ceph_down "$tmp/ceph" || true
	if [ $st != 0 ] && [ -d "$tmp/ceph/log" ]; then
		ceph_tails 2>&1 | tail -n 60 >&2 || true
	fi
	rm -rf "$tmp"
	exit $st
}
trap cleanup EXIT
trap 'exit 130' INT TERM

failures=()
check() { # description command...
	local what=$1
	shift
	if "$@"; then
		echo "ok - $what"
	else
		echo "not ok - $what"
		failures+=("$what")
	fi
}
fail() { echo "$name: $*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

rss() { # the three daemons' RSS in MiB
	local n pid out=
	for n in mon.a osd.0 client.rgw.gw; do
		pid=$(ceph_pid "$n") || { out="$out $n=down"; continue; }
		out="$out $n=$(awk '/^VmRSS/ { printf "%d", $2 / 1024 }' "/proc/$pid/status")MiB"
	done
	echo "${out# }"
}

# s3 METHOD PATH [curl args]: the status code; the body in $tmp/body.
s3() {
	local m=$1 p=$2
	shift 2
	ceph_s3 "$m" "$p" -o "$tmp/body" -w '%{http_code}' "$@" 2>"$tmp/curl.err" || true
}

# ---- up ----------------------------------------------------------------------
t=$(now)
ceph_up "$tmp/ceph"
echo "# up from an empty directory in $(since "$t") s; RSS: $(rss)"
b=$CEPH_S3_BUCKET

mode() { [ "$(stat -c %a "$1")" = 600 ]; }
check "ceph.env is 0600" mode "$tmp/ceph/ceph.env"
check "the secret key file is 0600 and holds the secret" \
	eval 'mode "$CEPH_S3_SECRET_KEY_FILE" && [ "$(cat "$CEPH_S3_SECRET_KEY_FILE")" = "$CEPH_S3_SECRET_KEY" ]'
check "no log holds the secret key" eval '! grep -rqF -- "$CEPH_S3_SECRET_KEY" "$tmp/ceph/log"'
check "the endpoint is on 127.0.0.1" eval '[[ $CEPH_S3_ENDPOINT == http://127.0.0.1:* ]]'

# ---- signatures -----------------------------------------------------------------
code=$(curl -s -o /dev/null -w '%{http_code}' "$CEPH_S3_ENDPOINT/$b/") || code=000
check "an unsigned listing is refused (403; got $code)" [ "$code" = 403 ]
code=$(curl -s -o "$tmp/body" -w '%{http_code}' --aws-sigv4 "aws:amz:$CEPH_S3_REGION:s3" \
	--user "$CEPH_S3_ACCESS_KEY:wrong-secret" -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
	"$CEPH_S3_ENDPOINT/$b/") || code=000
check "a wrong secret is refused (403 SignatureDoesNotMatch; got $code)" \
	eval '[ "$code" = 403 ] && grep -q SignatureDoesNotMatch "$tmp/body"'

# ---- small objects -----------------------------------------------------------------
printf 'hello, object store\n' >"$tmp/small"
code=$(s3 PUT "$b/dir/small.txt" -T "$tmp/small")
check "PUT answers 200 (got $code)" [ "$code" = 200 ]
code=$(s3 GET "$b/dir/small.txt")
check "GET answers 200 and the same bytes (got $code)" eval '[ "$code" = 200 ] && cmp -s "$tmp/small" "$tmp/body"'
code=$(s3 HEAD "$b/dir/small.txt" -D "$tmp/head")
check "HEAD answers 200, Content-Length 20 and an ETag (got $code)" \
	eval '[ "$code" = 200 ] && grep -qi "^content-length: 20" "$tmp/head" && grep -qi "^etag: \"" "$tmp/head"'
code=$(s3 GET "$b/dir/small.txt" -H 'Range: bytes=7-12')
check "a ranged GET answers 206 and bytes 7-12 (got $code: $(cat "$tmp/body"))" \
	eval '[ "$code" = 206 ] && [ "$(cat "$tmp/body")" = object ]'
# curl signs the query as written: a '/' in a value must be %2F already.
code=$(s3 GET "$b?list-type=2&prefix=dir%2F")
check "ListObjectsV2 with a prefix lists the key (got $code)" \
	eval '[ "$code" = 200 ] && grep -q "<Key>dir/small.txt</Key>" "$tmp/body"'
for k in 'dir/b c.txt' 'dir/x&y.txt'; do
	s3 PUT "$b/dir/$(ceph_urlencode "${k#dir/}")" -T "$tmp/small" >/dev/null
done
check "ceph_s3_list pages through every key, names decoded" \
	eval '[ "$(CEPH_S3_PAGE=2 ceph_s3_list dir/ | tr "\n" "|")" = "dir/b c.txt|dir/small.txt|dir/x&y.txt|" ]'
s3 DELETE "$b/dir/b%20c.txt" >/dev/null
s3 DELETE "$b/dir/x%26y.txt" >/dev/null
code=$(s3 DELETE "$b/dir/small.txt")
check "DELETE answers 204 (got $code)" [ "$code" = 204 ]
check "the bucket is empty again" eval '[ -z "$(ceph_s3_list)" ]'
code=$(s3 GET "$b/dir/small.txt")
check "GET after DELETE answers 404 NoSuchKey (got $code)" \
	eval '[ "$code" = 404 ] && grep -q NoSuchKey "$tmp/body"'

# ---- multipart -----------------------------------------------------------------------
# Parts of 8, 8 and 4 MiB.  Note: curl 7.88 signs "?uploads" wrongly (403
# SignatureDoesNotMatch); "?uploads=" is the same request, signed right.
head -c $((20 * 1024 * 1024)) /dev/urandom >"$tmp/big"
split -b $((8 * 1024 * 1024)) -d -a 1 "$tmp/big" "$tmp/part."
t=$(now)
code=$(s3 POST "$b/big.bin?uploads=")
upload=$(sed -n 's|.*<UploadId>\(.*\)</UploadId>.*|\1|p' "$tmp/body")
[ "$code" = 200 ] && [ -n "$upload" ] || fail "CreateMultipartUpload answered $code: $(cat "$tmp/body")"
printf '<CompleteMultipartUpload>' >"$tmp/complete"
for i in 0 1 2; do
	code=$(s3 PUT "$b/big.bin?partNumber=$((i + 1))&uploadId=$upload" -T "$tmp/part.$i" -D "$tmp/head")
	etag=$(sed -n 's/^[Ee][Tt][Aa][Gg]: *\([^[:space:]]*\).*/\1/p' "$tmp/head")
	[ "$code" = 200 ] && [ -n "$etag" ] || fail "UploadPart $((i + 1)) answered $code: $(cat "$tmp/body")"
	printf '<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>' $((i + 1)) "$etag" >>"$tmp/complete"
done
printf '</CompleteMultipartUpload>' >>"$tmp/complete"
check "ceph_s3_uploads lists the upload in progress" \
	eval '[ "$(ceph_s3_uploads)" = "big.bin $upload" ]'
code=$(s3 POST "$b/big.bin?uploadId=$upload" --data-binary "@$tmp/complete" \
	-H 'Content-Type: application/xml')
check "CompleteMultipartUpload answers 200 (got $code)" \
	eval '[ "$code" = 200 ] && grep -q CompleteMultipartUploadResult "$tmp/body"'
echo "# 20 MiB multipart upload in $(since "$t") s"
check "no upload is left in progress" eval '[ -z "$(ceph_s3_uploads)" ]'
code=$(s3 POST "$b/aborted.bin?uploads=")
upload2=$(sed -n 's|.*<UploadId>\(.*\)</UploadId>.*|\1|p' "$tmp/body")
s3 PUT "$b/aborted.bin?partNumber=1&uploadId=$upload2" -T "$tmp/part.2" >/dev/null
code=$(s3 DELETE "$b/aborted.bin?uploadId=$upload2")
check "AbortMultipartUpload answers 204, and leaves neither upload nor object (got $code)" \
	eval '[ "$code" = 204 ] && [ -z "$(ceph_s3_uploads)" ] && [ "$(ceph_s3_list)" = big.bin ]'
code=$(s3 HEAD "$b/big.bin" -D "$tmp/head")
check "HEAD of the multipart object: 20 MiB and a multipart ETag (got $code)" \
	eval '[ "$code" = 200 ] && grep -qi "^content-length: 20971520" "$tmp/head" && grep -qi "^etag: \"[0-9a-f]*-3\"" "$tmp/head"'
t=$(now)
code=$(s3 GET "$b/big.bin")
echo "# 20 MiB GET in $(since "$t") s"
check "GET of the multipart object: the same sha256 (got $code)" \
	eval '[ "$code" = 200 ] && [ "$(sha256sum <"$tmp/body")" = "$(sha256sum <"$tmp/big")" ]'
first=$((8 * 1024 * 1024 - 8))
code=$(s3 GET "$b/big.bin" -H "Range: bytes=$first-$((first + 15))")
tail -c +$((first + 1)) "$tmp/big" | head -c 16 >"$tmp/expect"
check "a ranged GET across the part boundary: 206 and the right 16 bytes (got $code)" \
	eval '[ "$code" = 206 ] && cmp -s "$tmp/expect" "$tmp/body"'
echo "# RSS after 20 MiB stored: $(rss)"

# ---- the gateway stopped and started ---------------------------------------------------
t=$(now)
ceph_rgw_stop "$tmp/ceph"
echo "# gateway stopped in $(since "$t") s"
curl -s -o /dev/null "$CEPH_S3_ENDPOINT/" && st=0 || st=$?
check "with the gateway stopped the endpoint refuses connections (curl exit 7; got $st)" [ "$st" = 7 ]
t=$(now)
ceph_rgw_start "$tmp/ceph"
echo "# gateway started in $(since "$t") s"
code=$(s3 GET "$b/big.bin")
check "after the gateway's restart the object reads back (got $code)" \
	eval '[ "$code" = 200 ] && cmp -s "$tmp/big" "$tmp/body"'
# Killed in the middle of a download (curl limited to 2 MiB/s: ~10 s).
ceph_s3 GET "$b/big.bin" --limit-rate 2M -o "$tmp/partial" 2>/dev/null & dl=$!
sleep 1
ceph_rgw_stop "$tmp/ceph" --kill
wait $dl && st=0 || st=$?
check "the gateway killed mid-download cuts the transfer (curl exit 18 or 56; got $st)" \
	eval '[ "$st" = 18 ] || [ "$st" = 56 ]'
ceph_rgw_start "$tmp/ceph"
code=$(s3 GET "$b/big.bin")
check "after the gateway was killed the object reads back (got $code)" \
	eval '[ "$code" = 200 ] && cmp -s "$tmp/big" "$tmp/body"'

# ---- the cluster stopped and started ---------------------------------------------------
t=$(now)
ceph_down "$tmp/ceph"
echo "# cluster stopped in $(since "$t") s"
check "after ceph_down no process names the cluster's config" eval '[ -z "$(ceph_leftovers)" ]'
check "after ceph_down the endpoint's port is free" stack_port_free "$CEPH_RGW_PORT"
t=$(now)
ceph_up "$tmp/ceph"
echo "# cluster started again from its directory in $(since "$t") s"
code=$(s3 GET "$b/big.bin")
check "after the cluster's restart the object reads back (got $code)" \
	eval '[ "$code" = 200 ] && cmp -s "$tmp/big" "$tmp/body"'

# ---- deletion and garbage collection ---------------------------------------------------
code=$(s3 DELETE "$b/big.bin")
check "DELETE of the multipart object answers 204 (got $code)" [ "$code" = 204 ]
gc_empty() {
	local i
	for i in $(seq 60); do
		[ "$(ceph_rgw_admin gc list --include-all 2>/dev/null | tr -d ' \n')" = "[]" ] && return 0
		sleep 0.5
	done
	return 1
}
t=$(now)
check "rgw's gc collects the deleted object's parts within 30 s" gc_empty
echo "# gc done in $(since "$t") s; RSS: $(rss)"

t=$(now)
ceph_down "$tmp/ceph"
echo "# cluster stopped in $(since "$t") s"
check "no process is left" eval '[ -z "$(ceph_leftovers)" ]'

if [ ${#failures[@]} -gt 0 ]; then
	echo "$name: ${#failures[@]} check(s) failed:" >&2
	printf '  %s\n' "${failures[@]}" >&2
	exit 1
fi
echo "$name: all checks passed"
