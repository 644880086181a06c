#!/usr/bin/env bash
# The control CLI: every command once with good input and its effect; bad
# input for each, answered with one "error: ..." line, a non-zero exit and
# no change; startup.conf good and bad; one daemon per control socket;
# telemetry; clean SIGTERM.
. "$(dirname "$0")/lib.sh"

TAP=dptap0
ns_add A B
dps_start d A --vdev "net_tap0,iface=$TAP"
# The TAP PMD gives the kernel side the port's own MAC; a MAC of its own
# makes the Linux side and dpstack tell apart on the wire.
must nsx A ip link set $TAP address 02:00:00:0b:00:01
must nsx A ip addr add 10.11.0.1/24 dev $TAP
must nsx A ip link set $TAP up

# ------------------------------------------------------------ good input

assert_ok "help" ctl d help
for c in "show interfaces" "show errors" "show ip arp" "show ip fib" "set interface ip address" \
	 "set interface state" "set interface mtu" "ip route add" "ip route del" "clear counters" \
	 "pcap start" "pcap stop" "show pcap" "show workers"; do
	assert_match "$c" "$OUT" "help lists '$c'"
done

assert_ok "show interfaces" ctl d show interfaces
assert_match '^net_tap0' "$OUT" "show interfaces lists net_tap0"
assert_match 'admin down' "$OUT" "net_tap0 starts admin down"
assert_match "([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}" "$OUT" "show interfaces prints a MAC"
assert_ok "show interfaces net_tap0" ctl d show interfaces net_tap0
assert_match '^net_tap0' "$OUT" "show interfaces <if> shows that interface"

assert_ok "set interface ip address net_tap0 10.11.0.2/24" ctl d set interface ip address net_tap0 10.11.0.2/24
assert_match 'inet 10\.11\.0\.2/24' "$(ctl d show interfaces net_tap0)" "the address shows on net_tap0"
assert_match '^10\.11\.0\.0/24 .*net_tap0' "$(ctl d show ip fib)" "its connected route shows in the FIB"

assert_ok "set interface state net_tap0 up" ctl d set interface state net_tap0 up
assert_match 'admin up' "$(ctl d show interfaces net_tap0)" "net_tap0 is admin up"
wait_for 10 nsx A ping -c 1 -W 1 10.11.0.2 || fail "10.11.0.2 answers once up"

assert_ok "show ip arp" ctl d show ip arp
assert_match "^10\.11\.0\.1 .*02:00:00:0b:00:01.*net_tap0" "$(printf '%s\n' "$OUT" | tr A-F a-f)" \
	"show ip arp lists the Linux side"

assert_ok "set interface state net_tap0 down" ctl d set interface state net_tap0 down
assert_match 'admin down' "$(ctl d show interfaces net_tap0)" "net_tap0 is admin down again"
# (the TAP PMD also takes the kernel side down: Linux drops its route)
assert_match 'link down' "$(ctl d show interfaces net_tap0)" "admin down takes the TAP link down"
assert_fails "no replies while admin down" nsx A ping -c 2 -i 0.2 -W 1 10.11.0.2
ctl_must d set interface state net_tap0 up
must nsx A ip link set $TAP up
wait_for 10 nsx A ping -c 1 -W 1 10.11.0.2 || fail "10.11.0.2 answers again once up"

assert_ok "set interface mtu net_tap0 1400" ctl d set interface mtu net_tap0 1400
assert_match 'mtu 1400' "$(ctl d show interfaces net_tap0)" "MTU 1400 shows"
ping_out A -c 2 -i 0.2 -W 2 -s 2000 10.11.0.2
assert_eq 0 "$(ping_loss "$OUT")" "2000-byte pings with MTU 1400 (fragmented reply)"
ctl_must d set interface mtu net_tap0 1500

# Static routes, with and without the interface.
assert_ok "ip route add 10.50.0.0/16 via 10.11.0.1" ctl d ip route add 10.50.0.0/16 via 10.11.0.1
assert_ok "ip route add 10.51.0.0/24 via 10.11.0.1 net_tap0" ctl d ip route add 10.51.0.0/24 via 10.11.0.1 net_tap0
assert_ok "ip route add 0.0.0.0/0 via 10.11.0.1" ctl d ip route add 0.0.0.0/0 via 10.11.0.1
fib=$(ctl d show ip fib)
assert_match '^10\.50\.0\.0/16 .*10\.11\.0\.1 .*net_tap0' "$fib" "FIB has 10.50.0.0/16 via 10.11.0.1"
assert_match '^10\.51\.0\.0/24 .*10\.11\.0\.1 .*net_tap0' "$fib" "FIB has 10.51.0.0/24 via 10.11.0.1"
assert_match '^0\.0\.0\.0/0 .*10\.11\.0\.1' "$fib" "FIB has the default route"
assert_ok "ip route del 10.50.0.0/16 via 10.11.0.1" ctl d ip route del 10.50.0.0/16 via 10.11.0.1
assert_ok "ip route del 10.51.0.0/24 net_tap0" ctl d ip route del 10.51.0.0/24 net_tap0
assert_ok "ip route del 0.0.0.0/0" ctl d ip route del 0.0.0.0/0
fib=$(ctl d show ip fib)
assert_no_match '^10\.5[01]\.|^0\.0\.0\.0/0' "$fib" "the static routes are gone"

# Second address, then removed with its connected route.
assert_ok "set interface ip address net_tap0 10.12.0.2/24" ctl d set interface ip address net_tap0 10.12.0.2/24
assert_match '^10\.12\.0\.0/24' "$(ctl d show ip fib)" "second address adds its connected route"
assert_ok "set interface ip address del net_tap0 10.12.0.2/24" ctl d set interface ip address del net_tap0 10.12.0.2/24
assert_no_match 'inet 10\.12\.' "$(ctl d show interfaces net_tap0)" "second address removed"
assert_no_match '^10\.12\.0\.0/24' "$(ctl d show ip fib)" "its connected route removed"
assert_match 'inet 10\.11\.0\.2/24' "$(ctl d show interfaces net_tap0)" "first address kept"

# An error counter, then clear counters.
must nsx A ip route add 10.99.0.0/16 via 10.11.0.2
ping_out A -c 2 -i 0.2 -W 1 10.99.0.1
assert_gt "$(err_counter d 'no.route')" 0 "show errors counts the unroutable pings"
assert_gt "$(if_counter d net_tap0 rx packets)" 0 "net_tap0 rx packets before clear"
assert_ok "clear counters" ctl d clear counters
assert_eq 0 "$(err_counter d 'no.route')" "clear counters zeroes the error counters"
assert_eq 0 "$(if_counter d net_tap0 rx packets)" "clear counters zeroes rx packets"
assert_eq 0 "$(if_counter d net_tap0 tx bytes)" "clear counters zeroes tx bytes"
ping_out A -c 3 -i 0.1 -W 2 10.11.0.2
assert_gt "$(if_counter d net_tap0 rx packets)" 2 "counters count again after clear"

# Capture.
assert_ok "pcap start net_tap0 file" ctl d pcap start net_tap0 "$TMP/cli.pcapng"
assert_ok "show pcap" ctl d show pcap
assert_match 'net_tap0' "$OUT" "show pcap names the captured interface"
assert_ok "pcap stop" ctl d pcap stop
[ -s "$TMP/cli.pcapng" ] && pass "pcap file written" || fail "pcap file written"
assert_ok "pcap start any file max 5" ctl d pcap start any "$TMP/any.pcapng" max 5
assert_ok "pcap stop" ctl d pcap stop

assert_ok "show workers" ctl d show workers
assert_match 'adaptive' "$OUT" "show workers: the default poll mode is adaptive"
assert_ok "show version" ctl d show version
assert_match 'DPDK' "$OUT" "show version names DPDK"

# Keywords may be shortened (help says so).
assert_ok "abbreviated 'sh int'" ctl d sh int
assert_match '^net_tap0' "$OUT" "'sh int' is show interfaces"

# ------------------------------------------------------------ bad input

# Everything a bad command might change.
state() {
	ctl d show ip fib
	# counters move with traffic; the rest must not
	ctl d show interfaces | grep -vE '^ *(rx|tx) [0-9]+ packets'
	ctl d show pcap
}

# bad WHAT WORDS...: dpstackctl fails with status 1, one stderr line
# starting "error:", nothing on stdout, and changes nothing.
bad() {
	local what=$1 before after rc
	shift
	before=$(state)
	"$DPSTACKCTL" -s "${DPS_SOCK[d]}" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	after=$(state)
	local err nl
	err=$(cat "$TMP/err")
	nl=$(wc -l <"$TMP/err")
	if [ $rc -eq 1 ] && [ "$nl" -eq 1 ] && [[ $err == error:* ]] && [ ! -s "$TMP/out" ]; then
		pass "$what: rejected ($err)"
	else
		fail "$what: expected exit 1 and one 'error: ...' line on stderr" \
			"command: dpstackctl $*" "exit $rc; stdout: $(cat "$TMP/out")" "stderr ($nl lines): $err"
	fi
	if [ "$before" = "$after" ]; then
		pass "$what: nothing changed"
	else
		fail "$what: nothing changed" "$(diff <(echo "$before") <(echo "$after"))"
	fi
}

ctl_must d ip route add 10.60.0.0/24 via 10.11.0.1

bad "unknown command"               frobnicate
bad "unknown show"                  show nothing
bad "incomplete command"            show
bad "trailing word"                 show errors please
bad "unknown interface (address)"   set interface ip address net_tap9 10.0.0.1/24
bad "unknown interface (state)"     set interface state eth0 up
bad "unknown interface (show)"      show interfaces net_nope
bad "prefix length 33"              set interface ip address net_tap0 10.0.0.1/33
bad "octet 300"                     set interface ip address net_tap0 300.1.1.1/24
bad "address without length"        set interface ip address net_tap0 10.0.0.1
bad "not an address"                set interface ip address net_tap0 banana
bad "network address as host"       set interface ip address net_tap0 10.13.0.0/24
bad "missing address"               set interface ip address net_tap0
bad "missing interface and address" set interface ip address
bad "delete an absent address"      set interface ip address del net_tap0 10.14.0.2/24
bad "state neither up nor down"     set interface state net_tap0 sideways
bad "missing state"                 set interface state net_tap0
bad "MTU below 68"                  set interface mtu net_tap0 20
bad "MTU above 9000"                set interface mtu net_tap0 65536
bad "MTU not a number"              set interface mtu net_tap0 big
bad "route via unreachable gateway" ip route add 10.61.0.0/24 via 10.77.0.1
bad "route with host bits"          ip route add 10.61.0.1/24 via 10.11.0.1
bad "route prefix /40"              ip route add 10.61.0.0/40 via 10.11.0.1
bad "route without via"             ip route add 10.61.0.0/24
bad "route via missing gateway"     ip route add 10.61.0.0/24 via
bad "route via bad gateway"         ip route add 10.61.0.0/24 via 10.11.0.256
bad "route on unknown interface"    ip route add 10.61.0.0/24 via 10.11.0.1 net_tap7
bad "route added twice"             ip route add 10.60.0.0/24 via 10.11.0.1
bad "route over a connected one"    ip route add 10.11.0.0/24 via 10.11.0.1
bad "address added twice"           set interface ip address net_tap0 10.11.0.2/24
bad "delete absent route"           ip route del 10.62.0.0/24
bad "delete route, wrong gateway"   ip route del 10.60.0.0/24 via 10.11.0.9
bad "pcap stop with none running"   pcap stop
bad "pcap into a missing directory" pcap start net_tap0 /nonexistent-dpst/x.pcapng
bad "pcap on unknown interface"     pcap start net_tap5 "$TMP/y.pcapng"
bad "pcap max 0"                    pcap start net_tap0 "$TMP/y.pcapng" max 0
bad "pcap max not a number"         pcap start net_tap0 "$TMP/y.pcapng" max lots
bad "clear with extra word"         clear counters now

# a failing command must not have left anything behind
assert_match '^10\.60\.0\.0/24' "$(ctl d show ip fib)" "the route added before the bad commands is still there"
assert_no_match '^10\.61\.|^10\.13\.' "$(ctl d show ip fib)" "no bad route reached the FIB"
[ -e /nonexistent-dpst ] && fail "pcap created /nonexistent-dpst" || pass "no stray pcap directory"

# dpstackctl itself
"$DPSTACKCTL" -s "$TMP/nobody.sock" show interfaces >"$TMP/out" 2>"$TMP/err"
assert_eq 2 "$?" "dpstackctl with no daemon on the socket exits 2 (no answer)"
assert_eq 1 "$(wc -l <"$TMP/err")" "no daemon: one line on stderr"
assert_match "nobody\.sock" "$(cat "$TMP/err")" "no daemon: the message names the socket"
"$DPSTACKCTL" -s "${DPS_SOCK[d]}" >"$TMP/out" 2>"$TMP/err"
assert_eq 2 "$?" "dpstackctl without a command exits 2 (bad usage)"
assert_match '.' "$(cat "$TMP/err")" "dpstackctl without a command says why on stderr"

# ------------------------------------------------------------ telemetry

if command -v dpdk-telemetry.py >/dev/null; then
	tel=$(printf '/dpstack/interfaces\n/dpstack/errors\n' |
		timeout 10 dpdk-telemetry.py -f "${DPS_PREFIX[d]}" 2>&1)
	assert_match 'net_tap0' "$tel" "telemetry /dpstack/interfaces lists net_tap0"
	assert_match '"/dpstack/errors"' "$tel" "telemetry /dpstack/errors answers"
fi

# ------------------------------------------------------------ startup.conf

cat >"$TMP/startup.conf" <<'CONF'
# dpstack start-up: the same commands as dpstackctl
set interface ip address net_tap0 10.16.0.2/24

set interface state net_tap0 up
ip route add 10.70.0.0/24 via 10.16.0.1   # a comment after a command
CONF
dps_start s B --vdev net_tap0,iface=dptap1 -- -c "$TMP/startup.conf"
must nsx B ip addr add 10.16.0.1/24 dev dptap1
must nsx B ip link set dptap1 up
assert_match 'inet 10\.16\.0\.2/24' "$(ctl s show interfaces net_tap0)" "startup.conf set the address"
assert_match 'admin up' "$(ctl s show interfaces net_tap0)" "startup.conf set the state"
assert_match '^10\.70\.0\.0/24 .*10\.16\.0\.1' "$(ctl s show ip fib)" "startup.conf added the route"
wait_for 10 nsx B ping -c 1 -W 1 10.16.0.2 && pass "daemon configured by startup.conf answers ping" ||
	fail "daemon configured by startup.conf answers ping"
dps_stop s

# A bad line: the daemon refuses to start and names the file and the line.
cat >"$TMP/bad.conf" <<'CONF'
set interface ip address net_tap0 10.17.0.2/24
# line 2 is fine
set interface ip address net_tap0 10.17.0.1/33
set interface state net_tap0 up
CONF
dps_cmdline bad B --vdev net_tap0,iface=dptap2 -- -c "$TMP/bad.conf"
out=$(timeout 30 "${DPS_ARGV[@]}" 2>&1 </dev/null)
rc=$?
assert_ne 0 "$rc" "dpstackd with a bad startup.conf exits non-zero"
assert_ne 124 "$rc" "dpstackd with a bad startup.conf exits by itself"
assert_match "bad\.conf:3:.*error" "$out" "the error names the file and line 3"
[ -e "${DPS_SOCK[bad]}" ] && fail "bad startup.conf left its control socket" || pass "no control socket left behind"
rm -rf "/var/run/dpdk/${DPS_PREFIX[bad]}"

dps_cmdline missing B --vdev net_tap0,iface=dptap2 -- -c "$TMP/no-such.conf"
out=$(timeout 30 "${DPS_ARGV[@]}" 2>&1 </dev/null)
rc=$?
assert_ne 0 "$rc" "dpstackd with a missing startup.conf exits non-zero"
assert_match "no-such\.conf" "$out" "the error names the missing file"
rm -rf "/var/run/dpdk/${DPS_PREFIX[missing]}"

dps_cmdline badopt B --vdev net_tap0,iface=dptap2 -- --poll-mode sometimes
out=$(timeout 30 "${DPS_ARGV[@]}" 2>&1 </dev/null)
rc=$?
assert_ne 0 "$rc" "dpstackd --poll-mode sometimes exits non-zero"
assert_match "poll-mode" "$out" "the error names --poll-mode"

# ------------------------------------------------------------ one daemon per socket

dps_cmdline second B --vdev net_tap0,iface=dptap3
# same control socket as d
DPS_ARGV=("${DPS_ARGV[@]:0:${#DPS_ARGV[@]}-2}" --ctl "${DPS_SOCK[d]}")
out=$(timeout 30 "${DPS_ARGV[@]}" 2>&1 </dev/null)
rc=$?
assert_ne 0 "$rc" "a second dpstackd on the same control socket exits non-zero"
assert_ne 124 "$rc" "the second dpstackd exits by itself"
assert_match "already running|in use" "$out" "the second dpstackd says another one runs"
rm -rf "/var/run/dpdk/${DPS_PREFIX[second]}"
dps_running d && pass "the first dpstackd keeps running" || fail "the first dpstackd keeps running"
assert_ok "the first dpstackd still answers" ctl d show interfaces
ping_out A -c 2 -i 0.2 -W 2 10.11.0.2
assert_eq 0 "$(ping_loss "$OUT")" "the first dpstackd still answers ping"

# ------------------------------------------------------------ shutdown

dps_stop d
finish
