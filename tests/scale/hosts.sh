#!/bin/bash
# tests/scale/hosts.sh - what tests/scale/run.sh puts on the network of
# net.sh: PostgreSQL's TCP listener, the object store, each host's config
# and pool, and the balancer (nginx).  Sourced after tests/lib/stack.sh and
# net.sh; uses run.sh's $dir, $SCALE_WORKERS and $SCALE_SIGNIN_LIMIT.
#
# Design.  Each host gets what README "Scaling out" says every host needs:
# the same jwt_secret and signing_key (a token or a signed URL made by one
# host holds on the other), the same database (here over TCP, as a real
# host would reach it), rate limits in that database, the same object store,
# and its own listen address, pid file and logs.
#
# $dir and $top_srcdir are run.sh's; SCALE_OBJECTS, ceph_started and
# scale_pg_port are set here for run.sh.
# shellcheck disable=SC2034,SC2154

# PostgreSQL also listens on the bridge address (a free port: the address
# is ours alone, but a wildcard listener elsewhere would hold any port in
# use), and trusts the bridge's /24 for the fluxbase database only.
scale_pg_tcp() {
	scale_pg_port=$(stack_free_port 25432)
	{
		echo "listen_addresses = '$SCALE_GW'"
		echo "port = $scale_pg_port"
	} >>"$STACK_DIR/pg/postgresql.conf"
	echo "host fluxbase all $SCALE_NET.0/24 trust" >>"$STACK_DIR/pg/pg_hba.conf"
	# The unix socket's name carries the port: psql from here follows.
	export PGPORT=$scale_pg_port
	stack_pg_stop
	stack_pg_start
}

# The shared secrets, 0600, read by each host's config.
scale_secrets() {
	local s
	for s in jwt_secret signing_key; do
		(umask 077; head -c 48 /dev/urandom | base64 | tr -d '\n' >"$dir/$s")
	done
	mkdir -p "$dir/mail" "$dir/storage"
}

# The binary has the S3 backend when it knows its keys.
scale_binary_has_s3() { grep -aq 's3_endpoint' "$FLUXBASE_BIN"; }
scale_ceph_installed() {
	command -v ceph-mon >/dev/null && command -v ceph-osd >/dev/null &&
		command -v radosgw >/dev/null && [ -f "$top_srcdir/tests/lib/ceph.sh" ]
}

# The one-node Ceph cluster of tests/lib/ceph.sh, its gateway reachable
# from the hosts: on the bridge address as well as on 127.0.0.1 (where
# ceph.sh checks it), given by CEPH_RGW_ADDR when ceph.sh takes one, else
# by a second beast endpoint added to the config ceph.sh writes.
scale_ceph_up() {
	. "$top_srcdir/tests/lib/ceph.sh"
	if grep -q CEPH_RGW_ADDR "$top_srcdir/tests/lib/ceph.sh"; then
		export CEPH_RGW_ADDR=$SCALE_GW
	else
		eval "$(declare -f ceph_config | sed '1s/^ceph_config/scale_ceph_config_orig/')"
		ceph_config() {
			scale_ceph_config_orig
			sed -i "s|^rgw frontends = beast endpoint=127\.0\.0\.1:\([0-9]*\)\$|& endpoint=$SCALE_GW:\1|" \
				"$CEPH_CONF"
			grep -q "endpoint=$SCALE_GW:" "$CEPH_CONF" ||
				{ echo "scale: cannot add the bridge address to the gateway's endpoints" >&2; exit 1; }
		}
	fi
	ceph_started=1
	ceph_up "$dir/ceph" >"$dir/log/ceph.log" 2>&1 || { cat "$dir/log/ceph.log" >&2; exit 1; }
	scale_s3_endpoint=http://$SCALE_GW:$CEPH_RGW_PORT
	# Signed from a host, through the bridge: the gateway is reachable.
	ip netns exec "$SCALE_NS_1" curl -sS -o /dev/null -w '%{http_code}' --max-time 10 \
		--aws-sigv4 "aws:amz:$CEPH_S3_REGION:s3" -K "$CEPH_DIR/s3_curl_auth" \
		-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
		"$scale_s3_endpoint/$CEPH_S3_BUCKET" >"$dir/log/rgw-probe" 2>&1 || true
	[ "$(cat "$dir/log/rgw-probe")" = 200 ] ||
		{ echo "scale: host 1 cannot use the gateway at $scale_s3_endpoint: $(cat "$dir/log/rgw-probe")" >&2; exit 1; }
}

# After the kill and storage-gc: no multipart upload left open in the
# bucket (a host killed mid-upload leaves one; storage-gc aborts it), asked
# of the store itself.
scale_s3_no_pending_uploads() {
	[ -n "${scale_s3_endpoint:-}" ] || return 0
	curl -sS --max-time 10 --aws-sigv4 "aws:amz:$CEPH_S3_REGION:s3" -K "$CEPH_DIR/s3_curl_auth" \
		-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
		"$scale_s3_endpoint/$CEPH_S3_BUCKET?uploads=" >"$dir/log/s3-uploads.xml"
	grep -q '<ListMultipartUploadsResult' "$dir/log/s3-uploads.xml" ||
		{ echo "scale: listing the bucket's uploads failed: $(head -c 300 "$dir/log/s3-uploads.xml")" >&2; exit 1; }
	if grep -q '<Upload>' "$dir/log/s3-uploads.xml"; then
		echo "scale: FAIL: multipart uploads left open in the bucket after storage-gc:" >&2
		head -c 600 "$dir/log/s3-uploads.xml" >&2
		exit 1
	fi
	echo "store: no multipart upload left open in bucket $CEPH_S3_BUCKET"
}

# Chooses the object store: SCALE_OBJECTS (a description) and
# scale_storage_conf (the [storage] lines every host gets).
scale_backend() {
	local want=${SCALE_BACKEND:-auto}
	if [ "$want" = auto ]; then
		want=fs
		scale_binary_has_s3 && scale_ceph_installed && want=s3
	fi
	case $want in
	fs)
		SCALE_OBJECTS="filesystem, one root shared by both hosts ($dir/storage)"
		scale_storage_conf="root = $dir/storage"
		;;
	s3)
		scale_binary_has_s3 || { echo "scale: this binary has no S3 backend" >&2; exit 1; }
		scale_ceph_installed || { echo "scale: Ceph (ceph-mon ceph-osd radosgw) is not installed" >&2; exit 1; }
		scale_ceph_up
		SCALE_OBJECTS="Ceph RGW at $scale_s3_endpoint, bucket $CEPH_S3_BUCKET"
		scale_storage_conf="root = $dir/storage
backend = s3
s3_endpoint = $scale_s3_endpoint
s3_region = $CEPH_S3_REGION
s3_bucket = $CEPH_S3_BUCKET
s3_access_key = $CEPH_S3_ACCESS_KEY
s3_secret_key_file = $CEPH_S3_SECRET_KEY_FILE
s3_path_style = true
s3_multipart_threshold = 5M"
		;;
	*) echo "scale: SCALE_BACKEND must be fs or s3" >&2; exit 1 ;;
	esac
}

scale_host_conf() { # i
	local h=$dir/host$1 addr
	eval "addr=\$SCALE_ADDR_$1"
	mkdir -p "$h/run" "$h/log"
	cat >"$h/fluxbase.conf" <<EOT
# Generated by tests/scale/run.sh: host $1 of 2.
[server]
listen = $addr:9000
workers = $SCALE_WORKERS
max_requests = 100000
stop_timeout = 5
pid_file = $h/run/fluxbase.pid
error_log = $h/log/fluxbase.log
access_log = $h/log/access.log
public_url = http://127.0.0.1:$STACK_PORT

[database]
url = host=$SCALE_GW port=$scale_pg_port dbname=fluxbase user=authenticator
admin_url = host=$SCALE_GW port=$scale_pg_port dbname=fluxbase user=$STACK_PG_SUPER
connect_timeout = 2

[auth]
jwt_secret_file = $dir/jwt_secret
rate_limit_store = ${SCALE_RATE_LIMIT_STORE:-database}
rate_limit_signin = $SCALE_SIGNIN_LIMIT
password_ops_limit = 1
password_mem_limit = 8M

[mail]
transport = dir
dir = $dir/mail

[storage]
signing_key_file = $dir/signing_key
$scale_storage_conf
EOT
}

# Host I's pool, in its namespace, in a session of its own; up when its
# address answers from here (across the bridge).
scale_host_start() { # i
	local h=$dir/host$1 ns addr n=0
	eval "ns=\$SCALE_NS_$1; addr=\$SCALE_ADDR_$1"
	rm -f "$h/run/fluxbase.pid"
	ip netns exec "$ns" setsid "$FLUXBASE_BIN" -c "$h/fluxbase.conf" serve </dev/null \
		>>"$h/log/fluxbase.log" 2>&1 &
	# Not a job of ours: its kill -9 is the test's, not news for the shell.
	disown $!
	until [ -s "$h/run/fluxbase.pid" ] && (exec 3<>"/dev/tcp/$addr/9000") 2>/dev/null; do
		n=$((n + 1))
		if [ $n -gt 100 ] || ! kill -0 $! 2>/dev/null; then
			tail -n 20 "$h/log/fluxbase.log" >&2
			echo "scale: host $1's pool did not start" >&2
			exit 1
		fi
		sleep 0.1
	done
}

# nginx with the shipped site; its upstream is both hosts.
scale_nginx_start() {
	local ngx=$dir/nginx n=0
	mkdir -p "$ngx/tmp" "$dir/explorer"
	cp /etc/nginx/fastcgi_params /etc/nginx/mime.types "$ngx/"
	# max_fails=1 fail_timeout=2s: a dead host is skipped for 2 s after
	# one failure, then tried again (so a restarted one gets work soon).
	sed -e "s|^\( *\)server unix:@FLUXBASE_SOCKET@;|\1server $SCALE_ADDR_1:9000 max_fails=1 fail_timeout=2s;\n\1server $SCALE_ADDR_2:9000 max_fails=1 fail_timeout=2s;|" \
		-e "s|^\( *\)fastcgi_max_temp_file_size 0;|&\n\1fastcgi_next_upstream ${SCALE_NEXT_UPSTREAM:-error timeout};|" \
		-e "s|^\( *\)access_log @ACCESS_LOG@ fluxbase_noquery;|&\n\1access_log $dir/log/upstream.log scale_upstream;|" \
		-e "s|@LISTEN@|127.0.0.1:$STACK_PORT|" \
		-e "s|@ACCESS_LOG@|$dir/log/nginx-access.log|" \
		-e "s|@STORAGE_ROOT@|$dir/storage|" \
		-e "s|@EXPLORER_ROOT@|$dir/explorer|" \
		"$top_srcdir/deploy/nginx/fluxbase.conf" >"$ngx/site.conf"
	if ! grep -q "server $SCALE_ADDR_2:9000" "$ngx/site.conf" ||
		! grep -q "fastcgi_next_upstream " "$ngx/site.conf" ||
		! grep -q scale_upstream "$ngx/site.conf"; then
		echo "scale: deploy/nginx/fluxbase.conf changed shape; cannot make its upstream two hosts" >&2
		exit 1
	fi
	cat >"$ngx/nginx.conf" <<EOT
# Generated by tests/scale/run.sh: the balancer in front of both hosts.
worker_processes 2;
pid $ngx/nginx.pid;
error_log $dir/log/nginx-error.log;
events { worker_connections 1024; }
http {
    include $ngx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path $ngx/tmp/body;
    fastcgi_temp_path $ngx/tmp/fastcgi;
    proxy_temp_path $ngx/tmp/proxy;
    uwsgi_temp_path $ngx/tmp/uwsgi;
    scgi_temp_path $ngx/tmp/scgi;
    # Which host(s) each request went to: "A, B" is a request nginx retried.
    # The client's method (an error page turns \$request_method into GET).
    map \$request \$scale_method { "~^(?<m>[A-Z]+) " \$m; default -; }
    # Last, the client's own id of the request (X-Scale-Id), "-" without one.
    log_format scale_upstream '\$msec \$scale_method \$status "\$upstream_addr" "\$upstream_status" \$fluxbase_log_path \$http_x_scale_id';
    include $ngx/site.conf;
}
EOT
	nginx -p "$ngx" -c "$ngx/nginx.conf" -t >"$dir/log/nginx-test.log" 2>&1 ||
		{ cat "$dir/log/nginx-test.log" >&2; exit 1; }
	nginx -p "$ngx" -c "$ngx/nginx.conf" 2>>"$dir/log/nginx-error.log" ||
		{ echo "scale: nginx did not start (port $STACK_PORT taken?)" >&2; exit 1; }
	until [ -s "$ngx/nginx.pid" ] && ! stack_port_free "$STACK_PORT"; do
		n=$((n + 1))
		[ $n -lt 50 ] || { echo "scale: nginx is not answering on $STACK_PORT" >&2; exit 1; }
		sleep 0.1
	done
}

scale_nginx_stop() {
	local pidf=$dir/nginx/nginx.pid n=0
	[ -s "$pidf" ] || return 0
	kill -QUIT "$(cat "$pidf")" 2>/dev/null || true
	while [ -s "$pidf" ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
	[ ! -s "$pidf" ] || kill -KILL "$(cat "$pidf")" 2>/dev/null || true
}
