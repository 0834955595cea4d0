# bench/s3.sh - sourced by bench/run for --s3 (--mode s3): downloads and a
# large upload with the objects on an S3-compatible store, Ceph's RADOS
# Gateway from tests/lib/ceph.sh, against nginx proxying the same object
# from the gateway directly.
#
# Design.  The stack's own pool runs with [storage] backend = s3 (the lines
# ceph_storage_conf prints: path-style, the secret in a 0600 file) on a
# one-node cluster in DIR/ceph, started before the stack and stopped after
# it.  The reference ("rgw") is the floor of any download from the store in
# this architecture: a server of its own in the same nginx that sends
# /static/obj1m to deploy/nginx/fluxbase-s3-offload.conf's location, with
# the very path a worker's X-Accel-Redirect would give (the object's ETag,
# Last-Modified, the gateway's address, its key and a presigned query), so
# nginx proxies the same object with the same settings as an offloaded
# download, minus the worker.  The presigned query is made here (python3,
# SigV4 query signing as blob_s3.c does, the secret read from its file),
# valid for two hours instead of the worker's five minutes, so one URL
# lasts the whole run.
#
#   S5s   GET of the 1 MiB object streamed by the worker from the store
#   S5so  the same with [storage] offload = x-accel-redirect
#   S5sf  bench/baseline answering X-Accel-Redirect at once (no token, no
#         query) to that same location: the floor of an offloaded download
#   S6s   a 100 MiB upload (multipart above s3_multipart_threshold, 16 MiB
#         by default) and its download: MiB/s, and the growth of the RSS of
#         each worker (target: at most 2 MiB)
# Before measuring, every side must answer the object's exact bytes; after
# S6s the object must be in the bucket at its full size and read back
# whole (SHA-256), or bench/run stops.
#
# CPU lines: "store" is the gateway's and the OSD's CPU per request.
#
# Uses bench/run's variables: dir, root, json, quick, workers, ours, token,
# rows, R; the stack's functions (tests/lib/stack.sh) and tests/lib/ceph.sh.
# shellcheck shell=bash disable=SC2154

. "$root/tests/lib/ceph.sh"
s3_dir=$dir/ceph
s3_store_pids=
s3_floor_port=

# The cluster, and its [storage] lines appended to the stack's config.
s3_ceph_up() {
	command -v python3 >/dev/null || { echo "bench: --s3 needs python3 (the reference's presigned URL)" >&2; exit 1; }
	ceph_up "$s3_dir" 2>"$dir/ceph-up.log" || { cat "$dir/ceph-up.log" >&2; exit 1; }
	[ -n "$json" ] || cat "$dir/ceph-up.log" >&2
	STACK_EXTRA_CONF+=$'\n'"$(ceph_storage_conf)"
	s3_store_pids="$(ceph_pid client.rgw.gw) $(ceph_pid osd.0)"
}

s3_down() {
	[ -f "$s3_dir/ceph.conf" ] || return 0
	CEPH_QUIET=1 ceph_down "$s3_dir" || true
}

# CPU ticks of the store (gateway and OSD), for cpu_snapshot.
s3_store_ticks() {
	# shellcheck disable=SC2086
	ticks $s3_store_pids
}

# The offload location in the stack's server (deploy/nginx/fluxbase.conf),
# as its comment says: inside the server block, next to /_fluxbase_blobs/.
s3_nginx_site() {   # site.conf
	sed -i "s|^    location /_fluxbase_blobs/ {|    include $root/deploy/nginx/fluxbase-s3-offload.conf;\n&|" "$1"
	grep -q 'fluxbase-s3-offload.conf' "$1" || { echo "bench: could not include the S3 offload location" >&2; exit 1; }
}

# For bench/run's extra nginx config (the http block): the store's
# upstream (deploy/nginx/fluxbase-s3-upstream.conf with the gateway's
# address, which the offload location connects to), and the reference
# server's file, written once the object is stored (empty until then).
s3_nginx_extra() {
	sed "s|@S3_ADDRESS@|${CEPH_S3_ENDPOINT#http://}|" "$root/deploy/nginx/fluxbase-s3-upstream.conf" \
		>"$dir/s3-upstream.conf"
	: >"$dir/s3-floor.conf"
	echo "include $dir/s3-upstream.conf;"
	echo "include $dir/s3-floor.conf;"
}

# A presigned GET query (SigV4, host signed, UNSIGNED-PAYLOAD).
s3_presign() {   # host path ttl
	python3 - "$1" "$2" "$3" "$CEPH_S3_REGION" "$CEPH_S3_ACCESS_KEY" "$CEPH_S3_SECRET_KEY_FILE" <<'EOP'
import datetime, hashlib, hmac, sys, urllib.parse
host, path, ttl, region, access, secret_file = sys.argv[1:]
with open(secret_file) as f:
    secret = f.read().strip()
t = datetime.datetime.now(datetime.timezone.utc)
date, amz = t.strftime("%Y%m%d"), t.strftime("%Y%m%dT%H%M%SZ")
scope = date + "/" + region + "/s3/aws4_request"
q = ("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
     + urllib.parse.quote(access + "/" + scope, safe="")
     + "&X-Amz-Date=" + amz + "&X-Amz-Expires=" + ttl + "&X-Amz-SignedHeaders=host")
canon = "GET\n" + path + "\n" + q + "\nhost:" + host + "\n\nhost\nUNSIGNED-PAYLOAD"
sts = "AWS4-HMAC-SHA256\n" + amz + "\n" + scope + "\n" + hashlib.sha256(canon.encode()).hexdigest()
k = ("AWS4" + secret).encode()
for part in (date, region, "s3", "aws4_request"):
    k = hmac.new(k, part.encode(), hashlib.sha256).digest()
print(q + "&X-Amz-Signature=" + hmac.new(k, sts.encode(), hashlib.sha256).hexdigest())
EOP
}

# The reference server: nginx proxying the object from the gateway through
# the offload location, and the baseline's X-Accel-Redirect to it (S5sf).
s3_floor_up() {   # free port
	local row blob etag host path query lastmod i
	s3_floor_port=$1
	row=$(stack_psql -d fluxbase -At -F ' ' -c \
		"SELECT blob_id, etag FROM storage.objects WHERE bucket_id = 'bench' AND key = 'obj1m'")
	read -r blob etag <<<"$row"
	if ! [[ $blob =~ ^[A-Za-z0-9._~-]+$ && $etag =~ ^[0-9a-f]{64}$ ]]; then
		echo "bench: obj1m's row is not what the S3 offload expects: '$row'" >&2
		exit 1
	fi
	[ "$(ceph_s3 HEAD "$CEPH_S3_BUCKET/$blob" -o /dev/null -w '%{http_code}')" = 200 ] ||
		{ echo "bench: obj1m's blob $blob is not in bucket $CEPH_S3_BUCKET" >&2; exit 1; }
	host=${CEPH_S3_ENDPOINT#http://}
	path=/$CEPH_S3_BUCKET/$blob
	query=$(s3_presign "$host" "$path" 7200)
	lastmod=$(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S GMT')
	cat >"$dir/s3-floor.conf" <<EOT
# bench/run --s3: the floor.  /static/obj1m goes to the S3 offload location
# with the path a worker would give, so nginx proxies the object from the
# gateway as for an offloaded download, without the worker.
server {
    listen 127.0.0.1:$s3_floor_port reuseport;
    access_log off;
    include $root/deploy/nginx/fluxbase-s3-offload.conf;
    location = /static/obj1m {
        rewrite ^ "/_fluxbase_blobs/a/$etag/$lastmod/http/$host$path?$query?" last;
    }
    location /b/ {
        include fastcgi_params;
        fastcgi_pass baseline;
    }
}
EOT
	nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -t >"$dir/nginx-test.log" 2>&1 ||
		{ cat "$dir/nginx-test.log" >&2; echo "bench: nginx rejected the S3 floor" >&2; exit 1; }
	kill -HUP "$(cat "$dir/nginx/nginx.pid")"
	for ((i = 0; i < 50; i++)); do
		! stack_port_free "$s3_floor_port" && break
		sleep 0.1
	done
	sleep 0.5
	s3_same_bytes "the floor" "http://127.0.0.1:$s3_floor_port/static/obj1m"
	s3_same_bytes "the floor through the baseline" "http://127.0.0.1:$s3_floor_port/b/accel/obj1m"
}

# A download must be the object's exact bytes.
s3_same_bytes() {   # what url
	local code
	code=$(curl -sS -o "$dir/s3-check" -w '%{http_code}' "$2") || code=000
	if [ "$code" != 200 ] || ! cmp -s "$dir/s3-check" "$dir/static/obj1m"; then
		echo "bench: $1 ($2) answered $code, not obj1m's bytes: $(head -c 300 "$dir/s3-check" 2>/dev/null | tr -cd '[:print:]')" >&2
		tail -n 5 "$dir/log/nginx-error.log" "$dir/log/fluxbase.log" "$s3_dir/log/client.rgw.gw.log" >&2 2>/dev/null || true
		exit 1
	fi
	rm -f "$dir/s3-check"
}

s3_offload() {   # on|off
	if [ "$1" = on ]; then
		printf '[storage]\noffload = x-accel-redirect\n' >>"$dir/fluxbase.conf"
	else
		sed -i '/^offload = x-accel-redirect$/d' "$dir/fluxbase.conf"
	fi
	kill -HUP "$(stack_pool_pid)"
	sleep 1.5
}

s3_scenarios() {
	local floor=http://127.0.0.1:$s3_floor_port
	if wanted S5s; then
		s3_same_bytes "the worker, streamed" "$ours/api/v1/storage/bench/obj1m"
		compare S5s "GET 1 MiB from S3, streamed" \
			"$ours" get /api/v1/storage/bench/obj1m - -- "$floor" get /static/obj1m -
	fi
	if wanted S5so || wanted S5sf; then
		s3_offload on
		s3_same_bytes "the worker, offloaded" "$ours/api/v1/storage/bench/obj1m"
		compare S5so "GET 1 MiB from S3, x-accel-redirect" \
			"$ours" get /api/v1/storage/bench/obj1m - -- "$floor" get /static/obj1m -
		compare S5sf "floor: bare worker, x-accel to S3" \
			"$floor" get /b/accel/obj1m - -- "$floor" get /static/obj1m -
		s3_offload off
	fi
	wanted S6s && s3_upload
	return 0
}

# "pid KiB" of each of the pool's workers.
s3_worker_rss_each() {
	local master pid
	master=$(stack_pool_pid)
	for pid in $(kids "$master"); do
		echo "$pid $(awk '/^VmRSS:/ { print $2 }' /proc/"$pid"/status 2>/dev/null || echo 0)"
	done
}

# S6s: the upload streamed into the store, its download, each worker's RSS
# before and after (every worker has downloaded from the store and a small
# upload went through first: what a first use allocates is not growth).
s3_upload() {
	local api=$ours/api/v1 up sum0 sum1 blob size before after
	wrk -t2 -c8 -d1s -s "$root/bench/wrk.lua" "$ours" -- get /api/v1/storage/bench/obj1m - >/dev/null
	head -c $((2 * 1048576)) /dev/urandom >"$dir/small.bin"
	curl -sf -o /dev/null "$api/storage/bench/small.bin" -H "Authorization: Bearer $token" --data-binary @"$dir/small.bin"
	head -c $((upload_mib * 1048576)) /dev/urandom >"$dir/big.bin"
	sum0=$(sha256sum <"$dir/big.bin")
	before=$(s3_worker_rss_each)
	up=$(curl -sf -o /dev/null -w '%{time_total}' "$api/storage/bench/big.bin" \
		-H "Authorization: Bearer $token" --data-binary @"$dir/big.bin") ||
		{ echo "bench: S6s: the upload failed" >&2; exit 1; }
	sum1=$(curl -sf "$api/storage/bench/big.bin" | sha256sum) || sum1=
	after=$(s3_worker_rss_each)
	rm -f "$dir/big.bin" "$dir/small.bin"
	[ "$sum0" = "$sum1" ] || { echo "bench: S6s: the download is not the upload's bytes" >&2; exit 1; }
	blob=$(stack_psql -d fluxbase -At -c "SELECT blob_id FROM storage.objects WHERE bucket_id = 'bench' AND key = 'big.bin'")
	size=$(ceph_s3 HEAD "$CEPH_S3_BUCKET/$blob" -f | tr -d '\r' | sed -n 's/^[Cc]ontent-[Ll]ength: //p')
	[ "$size" = $((upload_mib * 1048576)) ] ||
		{ echo "bench: S6s: the bucket holds '$size' bytes for big.bin ($blob)" >&2; exit 1; }
	R[S6s.mbps]=$(awk -v m="$upload_mib" -v t="$up" 'BEGIN { printf "%.1f", m / t }')
	# The largest growth of any worker that lived through it.
	R[S6s.growth]=$(awk 'NR == FNR { b[$1] = $2; next } ($1 in b) { g = $2 - b[$1]; if (!n++ || g > m) m = g }
		END { print n ? m : "null" }' <(echo "$before") <(echo "$after"))
	R[S6s.rss]="$(echo "$before" | awk '$2 > m { m = $2 } END { print m }') -> $(echo "$after" | awk '$2 > m { m = $2 } END { print m }')"
	say "S6s  upload ${upload_mib} MiB to S3: ${R[S6s.mbps]} MiB/s; largest worker RSS ${R[S6s.rss]} KiB; largest growth of a worker ${R[S6s.growth]} KiB (target <= 2048)"
}

# One JSON object: the scenarios against the floor, the upload, memory.
s3_json() {   # machine
	local row id sep=
	printf '{"machine":"%s","date":"%s","workers":%d,"mode":"s3","store":"%s","targets":{"S5s":0.5,"S5so":0.85,"upload_growth_kib":2048},"scenarios":[' \
		"$1" "$(date -u +%FT%TZ)" "$workers" "$(ceph --version | awk '{ print "Ceph " $3 " RGW, memstore OSD" }')"
	for row in "${rows[@]}"; do
		id=${row%%|*}
		printf '%s{"id":"%s","label":"%s","ours":%s,"rgw":%s,"ratio":%s,%s,"p50_ms":%s,"p99_ms":%s,"rgw_p99_ms":%s}' \
			"$sep" "$id" "${row#*|}" "${R[$id.ours]}" "${R[$id.base]}" "${R[$id.ratio]}" "$(spread_json "$id")" \
			"${R[$id.p50]}" "${R[$id.p99]}" "${R[$id.bp99]}"
		sep=,
	done
	printf '],"upload_mib":%d,"upload_mib_per_s":%s,"memory":{"idle_rss_kib":%d,"upload_growth_kib":%s}}\n' \
		"$upload_mib" "${R[S6s.mbps]:-null}" "$idle_rss" "${R[S6s.growth]:-null}"
}
