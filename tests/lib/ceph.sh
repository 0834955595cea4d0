#!/bin/bash
# tests/lib/ceph.sh - a private one-node Ceph cluster with a RADOS Gateway,
# the S3-compatible store the storage suites and `script/server --s3` use.
#
# Source it and call ceph_up DIR, or run it as a command:
#     tests/lib/ceph.sh DIR up | down | rgw-stop [--kill] | rgw-start | env | status
#
# Design.  Debian 12's Ceph (ceph-mon, ceph-osd, radosgw, ceph-common) and
# nothing else: one monitor, one OSD on the `memstore` object store (objects
# in RAM, saved to DIR/osd on a clean stop, so a stopped cluster comes back
# with its data), and radosgw's beast frontend on 127.0.0.1.  No ceph-mgr:
# the monitor is told to wait a year for one ("mon mgr mkfs grace").  Every
# pool has one replica and 8 placement groups.
#
# Everything lives under DIR: the config (DIR/ceph.conf, passed with -c to
# every command; CEPH_ARGS and CEPH_CONF from the environment are dropped),
# a fresh fsid, the monitor's store, the OSD's data, each daemon's keyring,
# pid files, admin sockets and logs (DIR/log).  Ports are picked free: the
# monitor's (msgr v2 only) and the gateway's, both on 127.0.0.1; the OSD
# binds free ports of its own.  So it never meets a system Ceph or another
# stack's cluster.  As root the daemons run as the "ceph" user the package
# creates (DIR belongs to it, its ancestors get o+x); otherwise as the caller.
#
# What made it fast and reliable (measured on 2 cores): paxos intervals near
# zero (else every monitor write waits about a second), the OSD's own keyring
# (a shared one is overwritten by `ceph-osd --mkfs --mkkey`), short rgw gc
# periods (deleted objects otherwise stay in the OSD's RAM for hours), the
# stop order gateway -> OSD -> monitor, "osd fast shutdown = false" (else
# memstore saves nothing and a restarted OSD has no PGs: every request
# hangs), no mgr command (`ceph pg stat` hangs without a mgr), the S3 user
# made before the gateway starts, and a zombie counted as stopped (in a
# container init may reap the daemons seconds late).  An OSD that did not
# stop cleanly (kill -9) lost its objects: ceph_up makes the cluster anew,
# same keys and ports.  Daemons run in the foreground (-f), each in a
# session of its own, --setuser ceph when root.
#
# For the suites: ceph_s3 METHOD PATH [curl args] (a signed request),
# ceph_s3_list [PREFIX] (the bucket's keys), ceph_s3_uploads (multipart
# uploads in progress), ceph_urlencode, ceph_storage_conf (the [storage]
# lines of a fluxbase-fcgi config using this store), ceph_rgw_stop DIR
# [--kill] and ceph_rgw_start DIR (the gateway alone), ceph_load DIR (the
# settings of a cluster that is up, for another shell).  curl 7.88 signs
# the query as written: "?uploads=" (not "?uploads") and %2F in values.
#
# ceph_up ends with a signed S3 request (curl --aws-sigv4) creating the
# bucket, so "up" means a client can use it.  Its results are exported and
# written to DIR/ceph.env (0600): CEPH_S3_ENDPOINT, CEPH_S3_REGION,
# CEPH_S3_BUCKET, CEPH_S3_ACCESS_KEY, CEPH_S3_SECRET_KEY and
# CEPH_S3_SECRET_KEY_FILE (DIR/s3_secret_key, 0600), CEPH_DIR, CEPH_CONF.
#
# Settings (environment): CEPH_S3_BUCKET (default "fluxbase"), CEPH_S3_REGION
# (default "us-east-1", as [storage] s3_region; RGW accepts any region in a
# signature's scope, measured), CEPH_RGW_PORT (0 = pick a free one),
# CEPH_RGW_ADDR (an address the gateway listens on besides 127.0.0.1, same
# port; CEPH_S3_ENDPOINT stays on 127.0.0.1), CEPH_MEMSTORE_BYTES (the OSD's capacity, default 4 GiB; only what is
# stored takes RAM), CEPH_TIMEOUT (seconds to wait for each step, default 60).

ceph_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# stack_free_port and stack_port_free.
declare -F stack_free_port >/dev/null || . "$ceph_lib_dir/stack.sh"

ceph_log() { printf '%s\n' "ceph: $*" >&2; }
ceph_die() { ceph_log "$*"; exit 1; }

# Each daemon's log tail, for a failure's message.
ceph_tails() {
	local f
	for f in "$CEPH_DIR"/log/*.log; do
		[ -s "$f" ] || continue
		printf '%s\n' "--- last lines of $f" >&2
		tail -n 15 "$f" >&2
	done
}

ceph_fail() { ceph_log "$*"; ceph_tails; ceph_die "$*"; }

# Runs a command as the daemons' user.
ceph_as() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u "$CEPH_USER" -- "$@"
	else
		"$@"
	fi
}

# The ceph CLI and radosgw-admin as client.admin, on our cluster only.
ceph_cli() {
	env -u CEPH_ARGS -u CEPH_CONF timeout "$CEPH_TIMEOUT" \
		ceph -c "$CEPH_CONF" --connect-timeout "$CEPH_TIMEOUT" "$@"
}
ceph_rgw_admin() {
	env -u CEPH_ARGS -u CEPH_CONF timeout "$CEPH_TIMEOUT" \
		radosgw-admin -c "$CEPH_CONF" -n client.admin "$@"
}

# Lets the daemons' user reach DIR: every ancestor needs o+x.
ceph_make_reachable() {
	local d=$1
	[ "$(id -u)" = 0 ] || return 0
	while [ "$d" != / ] && [ -n "$d" ]; do
		if ! runuser -u "$CEPH_USER" -- test -x "$d" 2>/dev/null; then
			ceph_log "granting search permission (o+x) on $d so the ceph user can reach the cluster"
			chmod o+x "$d"
		fi
		d=$(dirname "$d")
	done
}

# LENGTH random characters of ALPHABET (no pipe closed early: pipefail-safe).
ceph_random() { # length alphabet
	local r=
	while [ ${#r} -lt "$1" ]; do
		r=$r$(head -c 1024 /dev/urandom | LC_ALL=C tr -dc "$2")
	done
	printf '%s' "${r:0:$1}"
}

ceph_set_dir() {
	mkdir -p "$1"
	CEPH_DIR=$(cd "$1" && pwd)
	CEPH_CONF=$CEPH_DIR/ceph.conf
	CEPH_TIMEOUT=${CEPH_TIMEOUT:-60}
	if [ "$(id -u)" = 0 ]; then
		CEPH_USER=${CEPH_USER:-ceph}
		id "$CEPH_USER" >/dev/null 2>&1 ||
			ceph_die "user $CEPH_USER is missing (it comes with the ceph-common package)"
	else
		CEPH_USER=$(id -un)
	fi
}

# The pid a daemon's pid file names, when that process still runs.
ceph_pid() { # name
	local f=$CEPH_DIR/run/$1.pid pid
	[ -s "$f" ] || return 1
	pid=$(cat "$f")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
	# A recycled pid is not ours: our daemons name our config.
	tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "$CEPH_CONF" || return 1
	echo "$pid"
}

# Whether PID runs: a zombie has finished.  (A daemon's parent is init,
# which in a container may reap it only seconds later.)
ceph_alive() { # pid
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "${st%% *}" != Z ]
}

# Stops one daemon: SIGTERM, then SIGKILL after WAIT seconds (status 1;
# 2: it was not running).
ceph_stop_daemon() { # name wait
	local pid i=0 st=0
	pid=$(ceph_pid "$1") || { rm -f "$CEPH_DIR/run/$1.pid"; return 2; }
	kill -TERM "$pid" 2>/dev/null || true
	while ceph_alive "$pid" && [ $i -lt $(($2 * 20)) ]; do
		sleep 0.05
		i=$((i + 1))
	done
	if ceph_alive "$pid"; then
		ceph_log "$1 (pid $pid) ignored SIGTERM for $2 s; killing it"
		kill -KILL "$pid" 2>/dev/null || true
		while ceph_alive "$pid"; do sleep 0.05; done
		st=1
	fi
	rm -f "$CEPH_DIR/run/$1.pid"
	return $st
}

# Every process still naming our config (a daemon whose pid file was lost).
ceph_leftovers() {
	local f p
	for f in $(grep -laF -- "$CEPH_CONF" /proc/[0-9]*/cmdline 2>/dev/null); do
		p=${f#/proc/}
		p=${p%/cmdline}
		[ "$p" != "$$" ] && [ "$p" != "${BASHPID:-}" ] || continue
		# Our daemons only: "ceph-mon ... -c CONF" and the like.
		case $(head -c 64 2>/dev/null <"$f" | tr '\0' '\n' | head -n 1) in
		ceph-mon | ceph-osd | radosgw | */ceph-mon | */ceph-osd | */radosgw) ;;
		*) continue ;;
		esac
		tr '\0' ' ' 2>/dev/null <"$f" | grep -qF -- " -c $CEPH_CONF " && echo "$p"
	done
	return 0
}

ceph_env_write() {
	(
		umask 077
		printf '%s' "$CEPH_S3_SECRET_KEY" >"$CEPH_DIR/s3_secret_key"
		# curl -K: the credentials stay out of the process list.
		printf 'user = "%s:%s"\n' "$CEPH_S3_ACCESS_KEY" "$CEPH_S3_SECRET_KEY" \
			>"$CEPH_DIR/s3_curl_auth"
		cat >"$CEPH_DIR/ceph.env" <<EOT
# Written by tests/lib/ceph.sh; source it.
CEPH_DIR='$CEPH_DIR'
CEPH_CONF='$CEPH_CONF'
CEPH_USER='$CEPH_USER'
CEPH_FSID='$CEPH_FSID'
CEPH_MON_PORT='$CEPH_MON_PORT'
CEPH_RGW_PORT='$CEPH_RGW_PORT'
CEPH_RGW_ADDR='${CEPH_RGW_ADDR:-}'
CEPH_S3_ENDPOINT='$CEPH_S3_ENDPOINT'
CEPH_S3_REGION='$CEPH_S3_REGION'
CEPH_S3_BUCKET='$CEPH_S3_BUCKET'
CEPH_S3_ACCESS_KEY='$CEPH_S3_ACCESS_KEY'
CEPH_S3_SECRET_KEY='$CEPH_S3_SECRET_KEY'
CEPH_S3_SECRET_KEY_FILE='$CEPH_DIR/s3_secret_key'
export CEPH_S3_ENDPOINT CEPH_S3_REGION CEPH_S3_BUCKET CEPH_S3_ACCESS_KEY
export CEPH_S3_SECRET_KEY CEPH_S3_SECRET_KEY_FILE
EOT
	)
}

# ceph_load DIR: the settings of a cluster made by ceph_up.
ceph_load() {
	[ -f "$1/ceph.env" ] || ceph_die "no Ceph cluster at $1"
	ceph_set_dir "$1"
	. "$CEPH_DIR/ceph.env"
	export CEPH_S3_ENDPOINT CEPH_S3_REGION CEPH_S3_BUCKET CEPH_S3_ACCESS_KEY
	export CEPH_S3_SECRET_KEY CEPH_S3_SECRET_KEY_FILE
}

# The gateway's endpoints: 127.0.0.1 (where it is checked), and
# CEPH_RGW_ADDR too when set (say, a bridge's address other hosts use).
ceph_rgw_frontends() {
	printf 'beast endpoint=127.0.0.1:%s' "$CEPH_RGW_PORT"
	[ -z "${CEPH_RGW_ADDR:-}" ] || printf ' endpoint=%s:%s' "$CEPH_RGW_ADDR" "$CEPH_RGW_PORT"
}

ceph_config() {
	cat >"$CEPH_CONF" <<EOT
# Generated by tests/lib/ceph.sh: a one-node cluster in $CEPH_DIR.
[global]
fsid = $CEPH_FSID
mon host = [v2:127.0.0.1:$CEPH_MON_PORT]
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv6 = false
ms bind msgr1 = false
run dir = $CEPH_DIR/run
admin socket = $CEPH_DIR/run/\$name.asok
log file = $CEPH_DIR/log/\$name.log
log to stderr = false
err to stderr = true
crash dir = $CEPH_DIR/crash
# Each its own: ceph-osd --mkfs --mkkey writes the OSD's key here.
keyring = $CEPH_DIR/keys/\$name.keyring
auth allow insecure global id reclaim = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000

[client.admin]
# The CLI: no admin socket (calls at once would fight over it).
admin socket =

[mon]
mon data = $CEPH_DIR/mon/\$name
keyring = $CEPH_DIR/mon/\$name/keyring
# No ceph-mgr: do not report its absence as an error for a year.
mon mgr mkfs grace = 31536000
# Monitor writes commit at once, not after a second.
paxos propose interval = 0.01
paxos min wait = 0.01
mon allow pool delete = true
mon data avail warn = 2
mon data avail crit = 1

[osd]
osd data = $CEPH_DIR/osd/\$name
osd objectstore = memstore
memstore device bytes = ${CEPH_MEMSTORE_BYTES:-4294967296}
osd crush update on start = true
# A stop unmounts the store, so memstore saves its objects to osd data.
osd fast shutdown = false

[client.rgw.gw]
rgw frontends = $(ceph_rgw_frontends)
rgw data = $CEPH_DIR/rgw
rgw init timeout = $CEPH_TIMEOUT
rgw thread pool size = 64
rgw enable usage log = false
rgw enable ops log = false
rgw dynamic resharding = false
rgw enable lc threads = false
# Deleted data is collected within seconds, not after hours.
rgw gc obj min wait = 5
rgw gc processor period = 5
rgw gc processor max time = 5
EOT
}

# Keys for the monitor, client.admin, the gateway; the monitor learns the
# last two at its mkfs, so no `ceph auth add` runs for them later.
ceph_keys() {
	local k=$CEPH_DIR/keys m=$CEPH_DIR/mon.keyring
	{
		ceph-authtool "$m" --create-keyring --gen-key -n mon. --cap mon 'allow *' &&
		ceph-authtool "$k/client.admin.keyring" --create-keyring --gen-key -n client.admin \
			--cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' --cap mds 'allow *' &&
		ceph-authtool "$k/client.rgw.gw.keyring" --create-keyring --gen-key -n client.rgw.gw \
			--cap mon 'allow rw' --cap osd 'allow rwx' --cap mgr 'allow rw' &&
		ceph-authtool "$m" --import-keyring "$k/client.admin.keyring" &&
		ceph-authtool "$m" --import-keyring "$k/client.rgw.gw.keyring"
	} >>"$CEPH_DIR/log/mkfs.log" 2>&1 || ceph_fail "ceph-authtool failed"
}

# A new cluster's files: config, keys, monitor store, OSD data.
ceph_mkfs() {
	local uuid id key
	CEPH_FSID=$(cat /proc/sys/kernel/random/uuid)
	# Kept when a cluster is made anew in the same DIR.
	[ -n "${CEPH_MON_PORT:-}" ] && stack_port_free "$CEPH_MON_PORT" ||
		CEPH_MON_PORT=$(stack_free_port $((21000 + RANDOM % 9000)))
	CEPH_RGW_PORT=${CEPH_RGW_PORT:-0}
	[ "$CEPH_RGW_PORT" != 0 ] || CEPH_RGW_PORT=$(stack_free_port $((CEPH_MON_PORT + 1)))
	CEPH_S3_ACCESS_KEY=${CEPH_S3_ACCESS_KEY:-$(ceph_random 20 'A-Z0-9')}
	CEPH_S3_SECRET_KEY=${CEPH_S3_SECRET_KEY:-$(ceph_random 40 'A-Za-z0-9')}
	mkdir -p "$CEPH_DIR"/{keys,mon,osd,rgw,run,log,crash}
	ceph_config
	ceph_keys
	monmaptool --create --clobber --fsid "$CEPH_FSID" --addv a "[v2:127.0.0.1:$CEPH_MON_PORT]" \
		"$CEPH_DIR/monmap" >/dev/null
	chmod 700 "$CEPH_DIR/keys"
	[ "$(id -u)" != 0 ] || chown -R "$CEPH_USER:" "$CEPH_DIR"
	ceph_as ceph-mon -c "$CEPH_CONF" --mkfs -i a --monmap "$CEPH_DIR/monmap" \
		--keyring "$CEPH_DIR/mon.keyring" >>"$CEPH_DIR/log/mkfs.log" 2>&1 ||
		ceph_fail "ceph-mon --mkfs failed"
	rm -f "$CEPH_DIR/mon.keyring"
	ceph_mon_start
	# The OSD's key, given to the monitor with `osd new` (one command).
	uuid=$(cat /proc/sys/kernel/random/uuid)
	key=$(ceph-authtool --gen-print-key)
	ceph_as ceph-authtool "$CEPH_DIR/keys/osd.0.keyring" --create-keyring -n osd.0 \
		--add-key "$key" >>"$CEPH_DIR/log/mkfs.log" 2>&1 || ceph_fail "ceph-authtool failed"
	id=$(printf '{"cephx_secret": "%s"}' "$key" |
		ceph_cli osd new "$uuid" -i - 2>>"$CEPH_DIR/log/mkfs.log") || ceph_fail "ceph osd new failed"
	[ "$id" = 0 ] || ceph_fail "the new OSD got id $id, not 0"
	ceph_as mkdir -p "$CEPH_DIR/osd/osd.0"
	ceph_as ceph-osd -c "$CEPH_CONF" -i 0 --mkfs --no-mon-config --osd-uuid "$uuid" \
		>>"$CEPH_DIR/log/mkfs.log" 2>&1 || ceph_fail "ceph-osd --mkfs failed"
}

# Starts a daemon unless it runs; DIR/run/NAME.pid names it.
ceph_daemon_start() { # name command...
	local name=$1 pid user=() i c
	shift
	ceph_pid "$name" >/dev/null && return 0
	[ "$(id -u)" != 0 ] || user=(--setuser "$CEPH_USER" --setgroup "$(id -gn "$CEPH_USER")")
	# In the foreground (-f), in a session of its own (the caller's Ctrl-C
	# does not reach it; ceph_down stops it in order): its pid is known at
	# once, so one that exits at once (its port taken, say) is seen at once.
	env -u CEPH_ARGS -u CEPH_CONF setsid -w "$@" -c "$CEPH_CONF" -f "${user[@]}" \
		</dev/null >>"$CEPH_DIR/log/$name.out" 2>&1 &
	pid=$!
	# No "Killed" job report from this shell when a test kills it.
	disown "$pid" 2>/dev/null || true
	# setsid forks only when started as a process group leader (a shell
	# with job control): then the daemon is its child.
	i=0
	while [ $i -lt 40 ]; do
		case $(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") in
		"env "* | "setsid "*) ;;
		*) break ;;
		esac
		c=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null) || c=
		[ -z "$c" ] || { pid=${c%% *}; break; }
		sleep 0.025
		i=$((i + 1))
	done
	[ -n "$pid" ] || ceph_fail "$name did not start"
	# radosgw writes no pid file in the foreground: ours, for every daemon.
	echo "$pid" >"$CEPH_DIR/run/$name.pid"
}

# Whether the daemon NAME is up to answering: its port listened on, before
# TIMEOUT; status 1 at once when it exited.
ceph_daemon_wait() { # name port
	local i=0
	while stack_port_free "$2"; do
		ceph_pid "$1" >/dev/null || return 1
		i=$((i + 1))
		[ $i -le $((CEPH_TIMEOUT * 20)) ] || ceph_fail "$1 does not listen on port $2 after $CEPH_TIMEOUT s"
		sleep 0.05
	done
}

ceph_mon_start() {
	ceph_daemon_start mon.a ceph-mon -i a
	ceph_daemon_wait mon.a "$CEPH_MON_PORT" || ceph_fail "the monitor exited at once"
}
ceph_osd_start() { ceph_daemon_start osd.0 ceph-osd -i 0; }

# Waits until the monitor has the OSD up.  (Not `ceph pg stat`: without a
# mgr that command hangs.)  The gateway's requests wait for its PGs.
ceph_osd_wait() {
	local i=0
	until ceph_cli osd dump 2>/dev/null | grep -q '^osd\.0 up'; do
		i=$((i + 1))
		[ $i -le $((CEPH_TIMEOUT * 5)) ] || ceph_fail "the OSD is not up after $CEPH_TIMEOUT s"
		ceph_pid osd.0 >/dev/null || ceph_fail "the OSD exited"
		sleep 0.2
	done
}

# One signed S3 request: curl args after METHOD and PATH (no leading /).
# The credentials come from DIR/s3_curl_auth (0600).  libcurl 7.88 signs no payload hash itself: the header says "unsigned".
ceph_s3() { # method path curl-args...
	local m=(-X "$1") p=$2
	[ "$1" != HEAD ] || m=(--head)
	shift 2
	curl -sS "${m[@]}" --aws-sigv4 "aws:amz:$CEPH_S3_REGION:s3" \
		-K "$CEPH_DIR/s3_curl_auth" \
		-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$@" "$CEPH_S3_ENDPOINT/$p"
}

# Percent-encodes a query value as SigV4 wants it (curl signs the query as
# written: "/" must already be %2F, "?uploads" must be "?uploads=").
ceph_urlencode() {
	local LC_ALL=C i c out=
	for ((i = 0; i < ${#1}; i++)); do
		c=${1:i:1}
		case $c in
		[A-Za-z0-9._~-]) out+=$c ;;
		*) printf -v c '%%%02X' "'$c"; out+=$c ;;
		esac
	done
	printf '%s' "$out"
}

# ceph_s3_list [PREFIX]: the bucket's keys, one a line (every page, of
# CEPH_S3_PAGE keys, default 1000).
ceph_s3_list() {
	local q token='' body
	while :; do
		q="list-type=2&max-keys=${CEPH_S3_PAGE:-1000}&prefix=$(ceph_urlencode "${1:-}")"
		[ -z "$token" ] || q="continuation-token=$(ceph_urlencode "$token")&$q"
		body=$(ceph_s3 GET "$CEPH_S3_BUCKET?$q" -f) || return 1
		printf '%s\n' "$body" | grep -o '<Key>[^<]*</Key>' | sed 's|<Key>\(.*\)</Key>|\1|' |
			sed 's/&lt;/</g; s/&gt;/>/g; s/&quot;/"/g; s/&apos;/'"'"'/g; s/&amp;/\&/g'
		token=$(printf '%s' "$body" | sed -n 's|.*<NextContinuationToken>\([^<]*\)</NextContinuationToken>.*|\1|p')
		[ -n "$token" ] || return 0
	done
}

# ceph_s3_uploads: the multipart uploads begun and neither completed nor
# aborted, as "KEY UPLOADID" lines (the first 1000).
ceph_s3_uploads() {
	local body
	body=$(ceph_s3 GET "$CEPH_S3_BUCKET?uploads=" -f) || return 1
	printf '%s\n' "$body" | sed 's|<Upload>|\n&|g' | sed -n 's|.*<Key>\([^<]*\)</Key><UploadId>\([^<]*\)</UploadId>.*|\1 \2|p'
}

# ceph_storage_conf: the [storage] lines of a fluxbase-fcgi config that
# keeps its objects in this cluster (path-style, the secret in its file).
ceph_storage_conf() {
	cat <<EOT
[storage]
backend = s3
s3_endpoint = $CEPH_S3_ENDPOINT
s3_region = $CEPH_S3_REGION
s3_bucket = $CEPH_S3_BUCKET
s3_access_key = $CEPH_S3_ACCESS_KEY
s3_secret_key_file = $CEPH_S3_SECRET_KEY_FILE
s3_path_style = true
EOT
}

# ceph_rgw_start [DIR]: the gateway again, once it answers a signed request.
# With CEPH_REPICK set (ceph_up), a port another program took since it was
# picked is replaced by a free one (config and ceph.env rewritten).
ceph_rgw_start() {
	ceph_load "${1:-$CEPH_DIR}"
	local i code tries=0
	while :; do
		if [ -n "${CEPH_REPICK:-}" ] && ! ceph_pid client.rgw.gw >/dev/null &&
			! stack_port_free "$CEPH_RGW_PORT"; then
			ceph_log "port $CEPH_RGW_PORT was taken meanwhile; the gateway moves to another"
			CEPH_RGW_PORT=$(stack_free_port $((CEPH_RGW_PORT + 1 + RANDOM % 100)))
			CEPH_S3_ENDPOINT=http://127.0.0.1:$CEPH_RGW_PORT
			sed -i "s|^rgw frontends = .*|rgw frontends = $(ceph_rgw_frontends)|" "$CEPH_CONF"
			ceph_env_write
		fi
		ceph_daemon_start client.rgw.gw radosgw -n client.rgw.gw
		# Ready when a signed request is answered (the service list, 200).
		i=0
		while ceph_pid client.rgw.gw >/dev/null; do
			code=$(ceph_s3 GET '' -o /dev/null -w '%{http_code}' --max-time 5 2>/dev/null) ||
				code=000
			[ "$code" = 200 ] && return 0
			i=$((i + 1))
			[ $i -le $((CEPH_TIMEOUT * 10)) ] ||
				ceph_fail "radosgw does not answer a signed request on $CEPH_S3_ENDPOINT (last status $code)"
			sleep 0.1
		done
		tries=$((tries + 1))
		if [ -z "${CEPH_REPICK:-}" ] || [ $tries -ge 5 ] || stack_port_free "$CEPH_RGW_PORT"; then
			ceph_fail "radosgw exited (its port $CEPH_RGW_PORT taken?)"
		fi
	done
}

# ceph_rgw_stop [DIR [--kill]]: only the gateway (the OSD and monitor
# stay): SIGTERM (it ends its requests within a second or so), or SIGKILL.
ceph_rgw_stop() {
	local pid
	ceph_load "${1:-$CEPH_DIR}"
	if [ "${2:-}" = --kill ] && pid=$(ceph_pid client.rgw.gw); then
		kill -KILL "$pid" 2>/dev/null || true
		while ceph_alive "$pid"; do sleep 0.05; done
	fi
	ceph_stop_daemon client.rgw.gw 5 || true
}

# The S3 user, unless it exists (before the gateway: its readiness check
# is a signed request).  radosgw-admin also makes the zone and its pools.
ceph_s3_user() {
	ceph_rgw_admin user info --uid=fluxbase >/dev/null 2>&1 && return 0
	ceph_rgw_admin user create --uid=fluxbase --display-name='Fluxbase tests' \
		--access-key="$CEPH_S3_ACCESS_KEY" --secret-key="$CEPH_S3_SECRET_KEY" \
		>/dev/null 2>>"$CEPH_DIR/log/mkfs.log" || ceph_fail "radosgw-admin user create failed"
}

# The bucket, unless it exists.
ceph_s3_bucket() {
	local code
	code=$(ceph_s3 HEAD "$CEPH_S3_BUCKET" -o /dev/null -w '%{http_code}') || code=000
	[ "$code" = 200 ] && return 0
	code=$(ceph_s3 PUT "$CEPH_S3_BUCKET" -o "$CEPH_DIR/log/bucket.out" -w '%{http_code}') ||
		code=000
	[ "$code" = 200 ] ||
		ceph_fail "creating bucket $CEPH_S3_BUCKET answered $code: $(cat "$CEPH_DIR/log/bucket.out")"
}

# ceph_up DIR: the cluster, from an empty DIR or from a previous run's.
ceph_up() {
	local t0=$SECONDS
	ceph_set_dir "$1"
	if [ -f "$CEPH_DIR/ceph.env" ]; then
		# The caller's CEPH_RGW_ADDR, if any, wins over the last run's.
		local addr=${CEPH_RGW_ADDR:-}
		. "$CEPH_DIR/ceph.env"
		CEPH_RGW_ADDR=${addr:-${CEPH_RGW_ADDR:-}}
		# memstore keeps objects in RAM and saves them on a clean stop
		# only: after a crash or kill -9 the pools' PGs are gone for good
		# and every request would hang.  Same keys and ports, new cluster.
		if ! ceph_pid osd.0 >/dev/null && [ ! -f "$CEPH_DIR/osd/clean-stop" ]; then
			ceph_log "the OSD in $CEPH_DIR did not stop cleanly (its objects are lost): making the cluster anew"
			ceph_down "$CEPH_DIR"
			rm -f "$CEPH_DIR/ceph.env"
		else
			# This file's settings, for a cluster an older one made.
			[ -n "${CEPH_FSID:-}" ] || CEPH_FSID=$(sed -n 's/^fsid = //p' "$CEPH_CONF")
			ceph_config
			ceph_env_write
			[ "$(id -u)" != 0 ] || chown "$CEPH_USER:" "$CEPH_CONF"
		fi
	fi
	if [ ! -f "$CEPH_DIR/ceph.env" ]; then
		command -v radosgw >/dev/null && command -v ceph-osd >/dev/null ||
			ceph_die "Ceph is not installed (apt-get install ceph-mon ceph-osd radosgw ceph-common)"
		rm -rf "${CEPH_DIR:?}"/{keys,mon,osd,rgw,run,log,crash,monmap}
		ceph_make_reachable "$CEPH_DIR"
		CEPH_S3_BUCKET=${CEPH_S3_BUCKET:-fluxbase}
		CEPH_S3_REGION=${CEPH_S3_REGION:-us-east-1}
		ceph_mkfs
		CEPH_S3_ENDPOINT=http://127.0.0.1:$CEPH_RGW_PORT
		ceph_env_write
	fi
	export CEPH_S3_ENDPOINT CEPH_S3_REGION CEPH_S3_BUCKET CEPH_S3_ACCESS_KEY
	export CEPH_S3_SECRET_KEY CEPH_S3_SECRET_KEY_FILE=$CEPH_DIR/s3_secret_key
	ceph_mon_start
	ceph_osd_start
	rm -f "$CEPH_DIR/osd/clean-stop"
	ceph_osd_wait
	ceph_s3_user
	CEPH_REPICK=1 ceph_rgw_start "$CEPH_DIR"
	ceph_s3_bucket
	ceph_log "up in $((SECONDS - t0)) s: $CEPH_S3_ENDPOINT bucket $CEPH_S3_BUCKET"
}

# ceph_down DIR: gateway, OSD (memstore saves its objects), monitor; then
# any process left naming our config.
ceph_down() {
	[ -f "$1/ceph.conf" ] || return 0
	ceph_set_dir "$1"
	local p st ran=0 t0=$EPOCHREALTIME t1 t2
	st=0; ceph_stop_daemon client.rgw.gw 5 || st=$?
	[ $st = 2 ] || ran=1
	t1=$EPOCHREALTIME
	st=0; ceph_stop_daemon osd.0 60 || st=$?
	t2=$EPOCHREALTIME
	# A clean stop saved the objects; 2: it was not running (unchanged).
	[ $st != 0 ] || ceph_as touch "$CEPH_DIR/osd/clean-stop"
	[ $st = 2 ] || ran=1
	st=0; ceph_stop_daemon mon.a 20 || st=$?
	[ $st = 2 ] || ran=1
	for p in $(ceph_leftovers); do
		ceph_log "killing leftover process $p of this cluster"
		kill -KILL "$p" 2>/dev/null || true
	done
	# Said only when something ran.
	[ $ran = 1 ] && [ -z "${CEPH_QUIET:-}" ] || return 0
	awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$EPOCHREALTIME" \
		'BEGIN { printf "ceph: down in %.1f s (gateway %.1f, OSD %.1f, monitor %.1f)\n",
			d - a, b - a, c - b, d - c }' >&2
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -eu
	[ $# -ge 2 ] || { echo "usage: $0 DIR up|down|rgw-stop [--kill]|rgw-start|env|status" >&2; exit 2; }
	case $2 in
	up) ceph_up "$1" ;;
	down) ceph_down "$1" ;;
	rgw-stop) ceph_rgw_stop "$1" "${3:-}" ;;
	rgw-start) ceph_rgw_start "$1" ;;
	env) ceph_load "$1"; cat "$CEPH_DIR/ceph.env" ;;
	status) ceph_load "$1"; ceph_cli -s ;;
	*) echo "unknown command $2" >&2; exit 2 ;;
	esac
fi
