# shellcheck shell=bash
# Helpers of the transport tests against Linux (test_tcp_*.sh), sourced
# after lib.sh: a dpstackd on a TAP port in a namespace of its own, the
# Linux side in the same namespace; built-in service counters; random
# loss with nftables on the Linux side of the TAP.

for _t in curl nc socat nft python3 sha256sum; do
	command -v $_t >/dev/null || fatal "$_t is missing (scripts/deps.sh installs what the tests need)"
done
unset _t

# svc_daemon NAME TAG TAP NET [-- DAEMON ARGS...]: namespace TAG with
# dpstackd NAME on TAP port net_tap0 (Linux side TAP). Linux gets
# 10.NET.0.1/24, dpstack 10.NET.0.2/24. Sets LINUX_IP and DPS_IP.
svc_daemon() {
	local name=$1 tag=$2 tap=$3 net=$4
	shift 4
	LINUX_IP=10.$net.0.1
	DPS_IP=10.$net.0.2
	ns_add "$tag"
	dps_start "$name" "$tag" --vdev "net_tap0,iface=$tap" "$@"
	# the TAP PMD gives the kernel side the port's MAC: give it its own
	must nsx "$tag" ip link set "$tap" address "02:00:00:$(printf %02x "$net"):00:01"
	must nsx "$tag" ip addr add "$LINUX_IP/24" dev "$tap"
	must nsx "$tag" ip link set "$tap" up
	ctl_must "$name" set interface ip address net_tap0 "$DPS_IP/24"
	ctl_must "$name" set interface state net_tap0 up
	# resolve both ways before anything is timed
	wait_for 10 nsx "$tag" ping -c 1 -W 1 "$DPS_IP" ||
		fatal "no ping reply from $DPS_IP"
}

# svc_col NAME SERVICE PROTO PORT COLUMN: a column of `show services`
# (conns, accepted, requests, rx, tx), "" if the service is not listed.
svc_col() {
	ctl "$1" show services 2>/dev/null | awk -v s="$2" -v p="$3" -v port="$4" -v c="$5" '
		BEGIN { col["conns"] = 4; col["accepted"] = 5; col["requests"] = 6
			col["rx"] = 7; col["tx"] = 8 }
		$1 == s && $2 == p && $3 == port { print $(col[c]); exit }'
}

# mbufs_in_use NAME: mbufs of the main pool in use (`show memory`).
mbufs_in_use() {
	ctl "$1" show memory 2>/dev/null | awk 'NR == 2 { print $3; exit }'
}

# sessions_total NAME: the summary line of `show sessions`
# ("total 3: LISTEN 1, ESTABLISHED 2").
sessions_total() {
	ctl "$1" show sessions 2>/dev/null | grep '^total'
}

# sessions_in NAME STATE: sockets in STATE (0 if none).
sessions_in() {
	local n
	n=$(sessions_total "$1" | grep -oE "$2 [0-9]+" | awk '{ print $2 }')
	echo "${n:-0}"
}

# tcp_stat NAME COUNTER: a `show tcp stats` counter (0 when not listed).
tcp_stat() {
	local n
	n=$(ctl "$1" show tcp stats 2>/dev/null | awk -v k="$2" '$2 == k { print $1; exit }')
	echo "${n:-0}"
}

# loss_on TAG IF PERCENT: nftables in namespace TAG drops PERCENT% of the
# packets received and sent on IF, at random.
loss_on() {
	local tag=$1 ifc=$2 pct=$3
	must nsx "$tag" nft add table ip dpsloss
	must nsx "$tag" nft add chain ip dpsloss in '{ type filter hook input priority 0; }'
	must nsx "$tag" nft add chain ip dpsloss out '{ type filter hook output priority 0; }'
	must nsx "$tag" nft add rule ip dpsloss in iifname "$ifc" numgen random mod 100 '<' "$pct" \
		counter drop
	must nsx "$tag" nft add rule ip dpsloss out oifname "$ifc" numgen random mod 100 '<' "$pct" \
		counter drop
}

# loss_dropped TAG: packets the loss rules dropped so far (both ways).
loss_dropped() {
	nsx "$1" nft list table ip dpsloss 2>/dev/null |
		awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") n += $(i + 1) }
		     END { print n + 0 }'
}

loss_off() {
	nsx "$1" nft delete table ip dpsloss 2>/dev/null
	return 0
}

# sha FILE: its SHA-256.
sha() {
	sha256sum "$1" | awk '{ print $1 }'
}

# source_pattern N FILE: the source service's stream, byte i = i % 251.
source_pattern() {
	python3 -c '
import sys
n = int(sys.argv[1])
block = bytes(range(251)) * 4096
with open(sys.argv[2], "wb") as f:
    while n > 0:
        f.write(block[:min(n, len(block))]); n -= min(n, len(block))
' "$1" "$2"
}
