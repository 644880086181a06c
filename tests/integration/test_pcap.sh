#!/usr/bin/env bash
# Packet capture: `pcap start/stop` writes pcapng that tshark reads, with
# the echo requests and replies, and honours `max`; dpdk-dumpcap captures
# from a daemon running with a shared EAL configuration.
. "$(dirname "$0")/lib.sh"

command -v tshark >/dev/null || fatal "tshark not installed (make deps)"
TAP=dptap0
ns_add A
# Shared EAL config (no --in-memory) so that dpdk-dumpcap can attach.
DPS_SHARED=1 dps_start d A --vdev "net_tap0,iface=$TAP"
# The TAP PMD gives the kernel side the port's own MAC; a MAC of its own
# makes the Linux side and dpstack tell apart on the wire.
must nsx A ip link set $TAP address 02:00:00:0b:00:01
must nsx A ip addr add 10.11.0.1/24 dev $TAP
must nsx A ip link set $TAP up
ctl_must d set interface ip address net_tap0 10.11.0.2/24
ctl_must d set interface state net_tap0 up
wait_for 10 nsx A ping -c 1 -W 1 10.11.0.2 || fail "10.11.0.2 answers before capturing"

# echo_counts FILE: "<requests> <replies>" of ICMP echo in a capture.
echo_counts() {
	local req rep
	req=$(tshark -r "$1" -Y 'icmp.type == 8' 2>/dev/null | wc -l)
	rep=$(tshark -r "$1" -Y 'icmp.type == 0' 2>/dev/null | wc -l)
	echo "$req $rep"
}
pkt_count() { tshark -r "$1" 2>/dev/null | wc -l; }

# 1. Capture of everything on net_tap0, stopped by hand.
F1=$TMP/all.pcapng
assert_ok "pcap start net_tap0 $F1" ctl d pcap start net_tap0 "$F1"
assert_match 'net_tap0|active|running|capturing' "$(ctl d show pcap 2>&1)" "show pcap reports the running capture"
ping_out A -c 3 -i 0.1 -W 2 10.11.0.2
assert_eq 0 "$(ping_loss "$OUT")" "pings while capturing: no loss"
assert_ok "pcap stop" ctl d pcap stop
[ -s "$F1" ] || fail "capture file $F1 written"
read -r req rep <<<"$(echo_counts "$F1")"
assert_eq 3 "$req" "capture holds the 3 echo requests"
assert_eq 3 "$rep" "capture holds the 3 echo replies"
assert_match 'Echo \(ping\) reply.*10\.11\.0\.2 → 10\.11\.0\.1|10\.11\.0\.2 → 10\.11\.0\.1.*Echo \(ping\) reply' \
	"$(tshark -r "$F1" 2>/dev/null)" "replies go from 10.11.0.2 to 10.11.0.1"
assert_fails "pcap stop with no capture running" ctl d pcap stop

# 2. max: the capture stops by itself after 10 packets.
F2=$TMP/x.pcapng
assert_ok "pcap start net_tap0 $F2 max 10" ctl d pcap start net_tap0 "$F2" max 10
ping_out A -c 10 -i 0.05 -W 2 10.11.0.2
assert_eq 0 "$(ping_loss "$OUT")" "20 packets of pings while capturing: no loss"
sleep 0.5
ctl d pcap stop >/dev/null 2>&1   # may already have stopped by itself
n=$(pkt_count "$F2")
assert_eq 10 "$n" "capture with max 10 holds exactly 10 packets"
read -r req rep <<<"$(echo_counts "$F2")"
assert_gt "$req" 0 "max-10 capture has echo requests"
assert_gt "$rep" 0 "max-10 capture has echo replies"

# 3. A second start while one runs is refused.
F3=$TMP/busy.pcapng
ctl_must d pcap start any "$F3"
assert_fails "a second pcap start while one runs" ctl d pcap start net_tap0 "$TMP/other.pcapng"
assert_match '^error: ' "$OUT" "second pcap start answers error:"
ctl_must d pcap stop

# 4. dpdk-dumpcap (rte_pdump) as a secondary process.
if ! have_hugepages; then
	log "no hugepages: skipping the dpdk-dumpcap check (a secondary process needs shared hugepage memory)"
elif ! command -v dpdk-dumpcap >/dev/null; then
	fail "dpdk-dumpcap installed (package dpdk)"
else
	D=$TMP/d.pcapng
	nsx A ping -c 40 -i 0.1 -W 1 10.11.0.2 >/dev/null 2>&1 &
	bg_track $!
	out=$(timeout 20 dpdk-dumpcap --file-prefix="${DPS_PREFIX[d]}" -i net_tap0 -c 4 -w "$D" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then pass "dpdk-dumpcap -c 4 exits 0"
	else fail "dpdk-dumpcap -c 4 exits 0 (got $rc)" "$out"; fi
	assert_eq 4 "$(pkt_count "$D")" "dpdk-dumpcap captured 4 packets"
	assert_match 'ICMP' "$(tshark -r "$D" 2>/dev/null)" "dpdk-dumpcap captured the pings"
	ping_out A -c 3 -i 0.1 -W 2 10.11.0.2
	assert_eq 0 "$(ping_loss "$OUT")" "daemon still answers after dpdk-dumpcap detached"
fi

dps_stop d
finish
