#!/usr/bin/env bash
# Adaptive polling: an idle worker sleeps instead of burning its core, and
# comes back to polling under a ping flood without losing packets.
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
ctl_must d set interface state net_tap0 up
wait_for 10 nsx A ping -c 1 -W 1 10.11.0.2 || fail "10.11.0.2 answers"

pid=${DPS_PID[d]}
hz=$(getconf CLK_TCK)

# The worker thread: DPDK names it lcore-worker-N; else the whole process.
wtid=
for t in /proc/$pid/task/*; do
	case $(cat "$t/comm" 2>/dev/null) in
	*worker*|lcore-*) wtid=${t##*/}; break ;;
	esac
done
if [ -n "$wtid" ]; then
	stat=/proc/$pid/task/$wtid/stat
	what="worker thread $wtid ($(cat /proc/$pid/task/$wtid/comm))"
else
	stat=/proc/$pid/stat
	what="dpstackd process (no thread named like a worker: $(cat /proc/$pid/task/*/comm | tr '\n' ' '))"
fi
log "measuring $what"
# cpu_ticks FILE: utime + stime of a /proc stat file.
cpu_ticks() { sed 's/^.*) //' "$1" | awk '{ print $12 + $13 }'; }
now_ms() { date +%s%3N; }

# idle_pct: CPU use of the measured thread over 3 s of idleness, in percent.
idle_pct() {
	local c0 c1 t0 t1
	c0=$(cpu_ticks "$stat"); t0=$(now_ms)
	sleep 3
	c1=$(cpu_ticks "$stat"); t1=$(now_ms)
	echo $(( (c1 - c0) * 1000 * 100 / hz / (t1 - t0) ))
}
proc_pct() {
	local c0 c1 t0 t1
	c0=$(cpu_ticks /proc/$pid/stat); t0=$(now_ms)
	sleep 2
	c1=$(cpu_ticks /proc/$pid/stat); t1=$(now_ms)
	echo $(( (c1 - c0) * 1000 * 100 / hz / (t1 - t0) ))
}

sleep 1   # let the worker back off
p=$(idle_pct)
log "idle: $what used $p% of a core"
assert_lt "$p" 30 "idle $what uses under 30% of a core"
p=$(proc_pct)
log "idle: the whole process used $p% of a core"
assert_lt "$p" 50 "idle dpstackd (all threads) uses under 50% of a core"

# Under load: a flood ping (next request as soon as the reply is back).
ping_out A -f -c 2000 -W 1 10.11.0.2
assert_eq 0 "$(ping_loss "$OUT")" "ping -f -c 2000: no loss"
assert_match '2000 packets transmitted, 2000 received' "$OUT" "all 2000 flood pings answered"

# And back to sleep once the load is gone.
sleep 1
p=$(idle_pct)
log "idle after the flood: $what used $p% of a core"
assert_lt "$p" 30 "worker backs off again after the flood"

w=$(ctl d show workers 2>&1)
assert_ok "show workers answers" ctl d show workers
log "show workers: $(printf '%s' "$w" | tr '\n' ' ' | cut -c1-200)"

dps_stop d
finish
