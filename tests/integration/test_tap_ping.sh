#!/usr/bin/env bash
# A Linux namespace pings dpstackd over a TAP port: no loss, TTL 64,
# payload intact, 1400-byte and fragmented 3000- and 65507-byte pings; arping
# resolves dpstack's MAC; the ARP table and the counters move.
. "$(dirname "$0")/lib.sh"

TAP=dptap0
ns_add A
dps_start d A --vdev "net_tap0,iface=$TAP"
# The TAP PMD gives the kernel side the port's own MAC; a MAC of its own
# makes the Linux side and dpstack tell apart on the wire.
must nsx A ip link set $TAP address 02:00:00:0b:00:01
must nsx A ip addr add 10.11.0.1/24 dev $TAP
must nsx A ip link set $TAP up

ctl_must d set interface ip address net_tap0 10.11.0.2/24

# Interfaces start admin down: nothing answers yet.
ping_out A -c 1 -W 1 10.11.0.2
assert_eq 0 "$(ping_received "$OUT")" "no reply while net_tap0 is admin down"

ctl_must d set interface state net_tap0 up
ctl_must d clear counters

# 20 pings, patterned payload (ping checks every byte it gets back).
ping_out A -c 20 -i 0.05 -W 2 -p a55a0ff0 10.11.0.2
assert_eq 0 "$(ping_loss "$OUT")" "20 pings: no loss"
assert_eq 20 "$(printf '%s\n' "$OUT" | grep -c 'bytes from 10.11.0.2: icmp_seq=.* ttl=64 ')" \
	"20 replies, each with TTL 64"
assert_no_match 'wrong data|DUP!|corrupted|BAD CHECKSUM' "$OUT" "payload and checksums intact"

# 1400 bytes of ICMP data: one 1428-byte IP packet each way.
ping_out A -c 5 -i 0.05 -W 2 -s 1400 -p 0102fdfe 10.11.0.2
assert_eq 0 "$(ping_loss "$OUT")" "1400-byte pings: no loss"
assert_match '^1408 bytes from 10.11.0.2' "$OUT" "1400-byte echo reply has the full size"
assert_no_match 'wrong data|DUP!|corrupted' "$OUT" "1400-byte payload intact"

# 3000 bytes: Linux fragments the request (dpstack reassembles), dpstack
# fragments the reply (Linux reassembles).
ping_out A -c 5 -i 0.05 -W 2 -s 3000 -p 3c5a 10.11.0.2
assert_eq 0 "$(ping_loss "$OUT")" "3000-byte (fragmented) pings: no loss"
assert_match '^3008 bytes from 10.11.0.2' "$OUT" "3000-byte echo reply reassembled to full size"
assert_no_match 'wrong data|DUP!|corrupted' "$OUT" "3000-byte payload intact"

# The largest ping (a 65535-byte IP packet): 45 fragments each way.
ping_out A -c 3 -i 0.2 -W 2 -s 65507 10.11.0.2
assert_eq 0 "$(ping_loss "$OUT")" "65507-byte (45 fragments) pings: no loss"
assert_match '^65515 bytes from 10.11.0.2' "$OUT" "65507-byte echo reply reassembled to full size"
assert_no_match 'wrong data|DUP!|corrupted' "$OUT" "65507-byte payload intact"

# arping: dpstack answers ARP with the MAC it shows for net_tap0.
assert_ok "arping resolves 10.11.0.2" nsx A arping -c 3 -w 5 -I $TAP 10.11.0.2
arp_mac=$(printf '%s\n' "$OUT" | grep -oiE 'reply from 10\.11\.0\.2 \[[0-9a-f:]{17}\]' | head -1 |
	grep -oiE '[0-9a-f:]{17}' | tr A-F a-f)
assert_match '^[0-9a-f:]{17}$' "$arp_mac" "arping printed the MAC of 10.11.0.2"
assert_ne "02:00:00:0b:00:01" "$arp_mac" "arping MAC is dpstack's, not the Linux side's"
assert_eq "$(if_mac d net_tap0)" "$arp_mac" "arping MAC equals the MAC show interfaces prints for net_tap0"
received=$(printf '%s\n' "$OUT" | sed -n 's/^Received \([0-9]*\) response.*/\1/p')
assert_eq 3 "$received" "arping: 3 responses"

# dpstack learned the Linux side.
linux_mac=$(mac_of A $TAP)
arp=$(ctl d show ip arp)
assert_match "10\.11\.0\.1([^0-9]|$).*$linux_mac" "$(printf '%s\n' "$arp" | tr A-F a-f)" \
	"show ip arp lists 10.11.0.1 at $linux_mac"

# Counters moved: at least the 30 echo requests and replies.
assert_gt "$(if_counter d net_tap0 rx packets)" 29 "net_tap0 rx packets counted"
assert_gt "$(if_counter d net_tap0 tx packets)" 29 "net_tap0 tx packets counted"
assert_gt "$(if_counter d net_tap0 rx bytes)" 20000 "net_tap0 rx bytes counted"
assert_gt "$(if_counter d net_tap0 tx bytes)" 20000 "net_tap0 tx bytes counted"

# Only non-zero counters are listed: none of these may be there.
assert_no_match 'checksum|truncated|bad_|frag_dropped|frag_failed' "$(ctl d show errors)" \
	"no checksum, format or reassembly drops"

dps_stop d
finish
