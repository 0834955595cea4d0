#!/bin/bash
# tests/scale/net.sh - the network of tests/scale/run.sh: one bridge in the
# root namespace and one network namespace per "host", each joined to the
# bridge by a veth pair.  Sourced, not run.
#
# Design.  A private /24 in 10.213.0.0/16 that no interface or route of the
# machine uses yet: the bridge takes .1 (the root namespace's side, where
# PostgreSQL, the object store and nginx are reached), host N takes .(N+1).
# Namespaces get only their loopback and their veth end: no default route,
# so nothing a host does can leave this subnet.  Names carry our pid, so
# runs side by side never meet; scale_net_down removes whatever exists of
# them (it is safe to call at any point of scale_net_up, or twice).

scale_net_log() { printf '%s\n' "scale: $*" >&2; }

# The first 10.213.X.0/24 (X from a pid-derived start) with no address or
# route of the machine inside it and no bridge of another run on it.
scale_net_pick() {
	local x i
	x=$(( ($$ % 200) + 20 ))
	for i in $(seq 0 199); do
		x=$(( (x + 1) % 254 ))
		[ "$x" -gt 0 ] || continue
		if ! ip -4 -o addr show | grep -q " 10\.213\.$x\." &&
			! ip -4 route show | grep -Eq "^10\.213\.$x\.|^10\.213\.0\.0/16"; then
			SCALE_NET=10.213.$x
			return 0
		fi
	done
	scale_net_log "no free 10.213.X.0/24 on this machine"
	return 1
}

# scale_net_up NHOSTS: the bridge and NHOSTS namespaces.  Sets SCALE_NET
# (the /24's first three octets), SCALE_BR, SCALE_NS_1.., and the
# addresses SCALE_GW (bridge) and SCALE_ADDR_1...
scale_net_up() {
	local n=$1 i ns veth
	SCALE_BR=fbsc$$
	scale_net_pick
	SCALE_GW=$SCALE_NET.1
	ip link add "$SCALE_BR" type bridge
	ip addr add "$SCALE_GW/24" dev "$SCALE_BR"
	ip link set "$SCALE_BR" up
	for i in $(seq 1 "$n"); do
		ns=fbscale-$$-$i
		veth=fbsc$$h$i
		eval "SCALE_NS_$i=\$ns; SCALE_ADDR_$i=\$SCALE_NET.\$((i + 1))"
		ip netns add "$ns"
		ip link add "$veth" type veth peer name eth0 netns "$ns"
		ip link set "$veth" master "$SCALE_BR" up
		ip -n "$ns" link set lo up
		ip -n "$ns" addr add "$SCALE_NET.$((i + 1))/24" dev eth0
		ip -n "$ns" link set eth0 up
	done
	SCALE_NHOSTS=$n
	# No STP on the bridge: its ports forward at once.  The first pool's
	# start (reached from here) and migrate (run in a host, reaching
	# PostgreSQL on the bridge address) prove the paths both ways.
}

# Every process in namespace NS, with SIGNAL (default KILL).
scale_ns_kill() { # ns [signal]
	local pids
	pids=$(ip netns pids "$1" 2>/dev/null) || return 0
	# shellcheck disable=SC2086 # one pid a word
	[ -z "$pids" ] || kill "-${2:-KILL}" $pids 2>/dev/null || true
}

scale_net_down() {
	local i ns
	for i in $(seq 1 "${SCALE_NHOSTS:-2}"); do
		ns=fbscale-$$-$i
		ip netns list 2>/dev/null | grep -q "^$ns\b" || continue
		scale_ns_kill "$ns" TERM
		for _ in $(seq 1 30); do
			[ -n "$(ip netns pids "$ns" 2>/dev/null)" ] || break
			sleep 0.1
		done
		scale_ns_kill "$ns" KILL
	done
	# The veth pairs by their root end: a namespace can outlive its name
	# for a while (the kernel holds it for sockets closing in it), and its
	# veth end with it.
	for i in $(seq 1 "${SCALE_NHOSTS:-2}"); do
		ip link del "fbsc$$h$i" 2>/dev/null || true
		ip netns del "fbscale-$$-$i" 2>/dev/null || true
	done
	ip link del "fbsc$$" 2>/dev/null || true
}
