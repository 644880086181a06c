#!/usr/bin/env bash
# Two dpstackd instances joined by memif, each with a TAP to a Linux
# namespace: X pings Y through both (two hops, TTL 62).
#
#  X 10.41.0.1 -tap- [a] 10.41.0.2 | memif 10.40.0.1 == 10.40.0.2 | [b] 10.42.0.2 -tap- 10.42.0.1 Y
. "$(dirname "$0")/lib.sh"

ns_add X Y
# A filesystem socket: abstract Unix sockets belong to a network namespace,
# and the two daemons live in different ones.
MEMIF="socket=$TMP/memif.sock,socket-abstract=no,id=7"
dps_start a X --vdev net_tap0,iface=dptapx --vdev "net_memif0,role=server,$MEMIF"
dps_start b Y --vdev net_tap0,iface=dptapy --vdev "net_memif0,role=client,$MEMIF"

must nsx X ip addr add 10.41.0.1/24 dev dptapx
must nsx X ip link set dptapx up
must nsx X ip route add default via 10.41.0.2
must nsx Y ip addr add 10.42.0.1/24 dev dptapy
must nsx Y ip link set dptapy up
must nsx Y ip route add default via 10.42.0.2

for cmd in "set interface ip address net_tap0 10.41.0.2/24" \
	   "set interface ip address net_memif0 10.40.0.1/30" \
	   "set interface state net_tap0 up" \
	   "set interface state net_memif0 up" \
	   "ip route add 10.42.0.0/24 via 10.40.0.2"; do
	ctl_must a $cmd
done
for cmd in "set interface ip address net_tap0 10.42.0.2/24" \
	   "set interface ip address net_memif0 10.40.0.2/30" \
	   "set interface state net_tap0 up" \
	   "set interface state net_memif0 up" \
	   "ip route add 10.41.0.0/24 via 10.40.0.1"; do
	ctl_must b $cmd
done

# The memif connection comes up asynchronously; wait until a crosses it.
if ! wait_for 15 nsx X ping -c 1 -W 1 10.40.0.2; then
	fail "X reaches b's memif address 10.40.0.2" "$(ctl a show interfaces 2>&1)" "$(ctl b show interfaces 2>&1)"
fi

ctl_must a clear counters
ctl_must b clear counters
ping_out X -c 10 -i 0.05 -W 2 -p 7e81 10.42.0.1
assert_eq 0 "$(ping_loss "$OUT")" "X -> Y through two dpstacks over memif: no loss"
assert_eq 10 "$(printf '%s\n' "$OUT" | grep -c 'from 10.42.0.1: .*ttl=62 ')" "replies arrive with TTL 62 (two hops)"
assert_no_match 'wrong data|DUP!' "$OUT" "payload intact"

ping_out X -c 3 -i 0.05 -W 2 -s 3000 10.42.0.1
assert_eq 0 "$(ping_loss "$OUT")" "3000-byte pings across memif: no loss"

for d in a b; do
	assert_gt "$(if_counter $d net_memif0 rx packets)" 9 "$d: net_memif0 rx packets counted"
	assert_gt "$(if_counter $d net_memif0 tx packets)" 9 "$d: net_memif0 tx packets counted"
	assert_gt "$(if_counter $d net_tap0 rx packets)" 9 "$d: net_tap0 rx packets counted"
	assert_gt "$(if_counter $d net_tap0 tx packets)" 9 "$d: net_tap0 tx packets counted"
done

dps_stop b
dps_stop a
finish
