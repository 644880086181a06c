#!/usr/bin/env bash
# dpstackd routes between two Linux namespaces over two af_packet ports:
# TTL decremented, counters moved, ICMP time exceeded and net unreachable
# with their drop counters, and a static route added and removed.
. "$(dirname "$0")/lib.sh"

ns_add R H1 H2
veth_add H1 eth0 R r1
veth_add H2 eth0 R r2
must nsx H1 ip addr add 10.21.0.2/24 dev eth0
must nsx H1 ip route add default via 10.21.0.1
must nsx H2 ip addr add 10.22.0.2/24 dev eth0
must nsx H2 ip route add default via 10.22.0.1

dps_start r R --vdev net_af_packet0,iface=r1,qpairs=1 --vdev net_af_packet1,iface=r2,qpairs=1
ctl_must r set interface ip address net_af_packet0 10.21.0.1/24
ctl_must r set interface ip address net_af_packet1 10.22.0.1/24
ctl_must r set interface state net_af_packet0 up
ctl_must r set interface state net_af_packet1 up

# Both hosts reach their gateway (ARP both ways) before counting.
wait_for 10 nsx H1 ping -c 1 -W 1 10.21.0.1 || fail "H1 reaches its gateway 10.21.0.1"
wait_for 10 nsx H2 ping -c 1 -W 1 10.22.0.1 || fail "H2 reaches its gateway 10.22.0.1"

ctl_must r clear counters
assert_eq 0 "$(if_counter r net_af_packet0 rx packets)" "clear counters zeroes net_af_packet0 rx packets"
assert_eq 0 "$(if_counter r net_af_packet1 tx bytes)" "clear counters zeroes net_af_packet1 tx bytes"

# Routed ping: one hop, so Linux sees TTL 63.
ping_out H1 -c 10 -i 0.05 -W 2 -p 5aa5 10.22.0.2
assert_eq 0 "$(ping_loss "$OUT")" "H1 -> H2 through dpstack: no loss"
assert_eq 10 "$(printf '%s\n' "$OUT" | grep -c 'from 10.22.0.2: .*ttl=63 ')" "replies from H2 arrive with TTL 63"
assert_no_match 'wrong data|DUP!' "$OUT" "routed payload intact"

# Fragmented both ways. The af_packet PMD joins a PACKET_FANOUT group with
# PACKET_FANOUT_FLAG_DEFRAG, so the kernel hands dpstack whole datagrams
# (here 1828 bytes, above the 1500 MTU): dpstack must fragment them again
# on output. (Datagrams over ~1980 bytes do not fit the PMD's 2048-byte
# ring frames and 2 KiB mbufs; the TAP and memif tests cover 3000 bytes.)
ping_out H1 -c 3 -i 0.05 -W 2 -s 1800 -p 9e 10.22.0.2
assert_eq 0 "$(ping_loss "$OUT")" "1800-byte pings routed (reassembled by the kernel, fragmented by dpstack)"
assert_no_match 'wrong data|DUP!' "$OUT" "1800-byte routed payload intact"

for p in net_af_packet0 net_af_packet1; do
	assert_gt "$(if_counter r $p rx packets)" 9 "$p rx packets counted"
	assert_gt "$(if_counter r $p tx packets)" 9 "$p tx packets counted"
	assert_gt "$(if_counter r $p rx bytes)" 900 "$p rx bytes counted"
	assert_gt "$(if_counter r $p tx bytes)" 900 "$p tx bytes counted"
done

# TTL 1: dpstack answers time exceeded from its H1-side address.
ping_out H1 -c 2 -i 0.2 -W 1 -t 1 10.22.0.2
assert_match '^From 10\.21\.0\.1 .*Time to live exceeded' "$OUT" "ping -t 1 gets time exceeded from 10.21.0.1"
n=$(err_counter r 'ttl.*(expired|exceeded)|(expired|exceeded).*ttl')
assert_gt "$n" 1 "show errors counts the TTL-expired drops"

# No route: destination net unreachable and the no-route counter.
ping_out H1 -c 2 -i 0.2 -W 1 10.99.0.1
assert_match '^From 10\.21\.0\.1 .*Destination Net Unreachable' "$OUT" "unrouted destination gets net unreachable"
n=$(err_counter r 'no.route')
assert_gt "$n" 1 "show errors counts the no-route drops"

# Admin down: frames arriving on a down interface are dropped and counted.
ctl_must r set interface state net_af_packet0 down
assert_match 'admin down' "$(ctl r show interfaces net_af_packet0)" "net_af_packet0 admin down"
ping_out H1 -c 2 -i 0.2 -W 1 10.22.0.2
assert_eq 0 "$(ping_received "$OUT")" "no forwarding while net_af_packet0 is down"
assert_gt "$(err_counter r 'interface.*down|if_down')" 1 "show errors counts the drops on the down interface"
ctl_must r set interface state net_af_packet0 up
wait_for 10 nsx H1 ping -c 1 -W 1 10.22.0.2 && pass "forwarding resumes once up" || fail "forwarding resumes once up"

# Static route via H2, to an address on H2's loopback.
must nsx H2 ip addr add 10.30.0.1/32 dev lo
assert_ok "ip route add 10.30.0.0/24 via 10.22.0.2" ctl r ip route add 10.30.0.0/24 via 10.22.0.2
fib=$(ctl r show ip fib)
assert_match '10\.30\.0\.0/24.*10\.22\.0\.2' "$fib" "show ip fib lists 10.30.0.0/24 via 10.22.0.2"
assert_match '10\.21\.0\.0/24' "$fib" "show ip fib lists the connected 10.21.0.0/24"
assert_match '10\.22\.0\.0/24' "$fib" "show ip fib lists the connected 10.22.0.0/24"
ping_out H1 -c 5 -i 0.05 -W 2 10.30.0.1
assert_eq 0 "$(ping_loss "$OUT")" "H1 -> 10.30.0.1 over the static route: no loss"
assert_eq 5 "$(printf '%s\n' "$OUT" | grep -c 'from 10.30.0.1: .*ttl=63 ')" "replies from 10.30.0.1 with TTL 63"

assert_ok "ip route del 10.30.0.0/24" ctl r ip route del 10.30.0.0/24
fib=$(ctl r show ip fib)
assert_no_match '10\.30\.0\.0/24' "$fib" "show ip fib no longer lists 10.30.0.0/24"
ping_out H1 -c 2 -i 0.2 -W 1 10.30.0.1
assert_eq 0 "$(ping_received "$OUT")" "no reply from 10.30.0.1 once the route is gone"
assert_match 'Destination Net Unreachable' "$OUT" "10.30.0.1 is unreachable once the route is gone"

dps_stop r
finish
