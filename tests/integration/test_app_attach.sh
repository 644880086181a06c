#!/usr/bin/env bash
# Applications attach to dpstackd over the API socket (issue 4), driven by
# a raw client of the protocol (tests/app/dps_rawapp.c, no libdpsock):
# attach and show apps; bad hellos, an oversized segment and a wrong
# secret are refused and the daemon keeps running; bad messages, a stale
# handle and a scribbled queue header detach the application; DETACH
# leaves in order; a listener echoes Linux nc/socat/python data through
# the FIFOs, a connect reaches a Linux server, UDP datagrams come back;
# SIGKILL of an attached application resets the connection it left
# unread data on and closes the other with FIN, as Linux would, and
# frees everything: show apps is empty and the daemon's descriptor count
# is flat over 200 attach/kill cycles. Two applications connected over a
# local address are joined FIFO to FIFO (cut-through): 1 GiB there and
# back without a packet.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_svc.sh"

RAW=$BUILD/tests/dps-rawapp
[ -x "$RAW" ] || fatal "$RAW not built"

svc_daemon d A dpatap0 31
API=${DPS_SOCK[d]%.sock}-api.sock
DPID=${DPS_PID[d]}
[ -S "$API" ] || fatal "no API socket at $API"
# (in the background run "$RAW" itself, not this function: $! must be its pid)
raw() { "$RAW" -a "$API" "$@"; }

# apps_line: the summary line of show apps
apps_line() { ctl d show apps 2>/dev/null | grep '^apps '; }
fd_count() { ls "/proc/$DPID/fd" 2>/dev/null | wc -l; }
alive() { assert_ok "dpstackd still answers ($1)" ctl d show version; }

fd0=$(fd_count)

# ---- attach, show apps
OUT=$(raw -n first attach)
assert_match '^attached id=[0-9]+ seg=67108864 workers=1$' "$OUT" "attach with the default segment"
OUT=$(raw -s 1000 attach)
assert_match '^attached id=[0-9]+ seg=[0-9]+ workers=1$' "$OUT" "a tiny segment is raised"
seg=$(sed -n 's/.*seg=\([0-9]*\).*/\1/p' <<<"$OUT")
assert_gt "$seg" $((1 << 20)) "raised to at least DPS_SEG_MIN ($seg bytes)"

"$RAW" -a "$API" -n holder attach hold >"$TMP/hold.out" 2>&1 &
hp=$!
bg_track $hp
wait_for 5 grep -q attached "$TMP/hold.out"
OUT=$(ctl d show apps)
assert_match "^ +[0-9]+ holder +$hp +0 +64M .*attached$" "$OUT" "show apps: id, name, pid, uid, segment"
assert_match 'worker 0: 0 sessions, queues in 0/4096 out 0/4096' "$OUT" "show apps: sessions and queues per worker"
assert_match '^apps 1 attached, 0 closing' "$OUT" "show apps: one attached"
kill -KILL $hp
wait $hp 2>/dev/null
wait_for 5 sh -c "'$DPSTACKCTL' -s '${DPS_SOCK[d]}' show apps | grep -q '^apps 0 attached, 0 closing'"
assert_match '^apps 0 attached, 0 closing' "$(apps_line)" "SIGKILL: show apps empty"

# ---- bad hellos and refusals: an answer, the daemon goes on
for bad in magic version unterminated 3 143 145 400; do
	OUT=$(raw hello $bad)
	assert_match '^refused error=71: ' "$OUT" "hello '$bad' refused with EPROTO"
done
assert_match 'bad hello 7\)' "$(apps_line)" "bad hellos counted"
alive "after bad hellos"
OUT=$(raw -s 8589934592 attach)
assert_eq 2 $? "a segment of 8 GiB is refused"
assert_match '^refused error=22: .*at most 4294967296' "$OUT" "oversized segment: EINVAL and why"
OUT=$(raw -s 4294967296 attach)
assert_match '^attached id=[0-9]+ seg=42949' "$OUT" "a segment of DPS_SEG_MAX (4 GiB, not touched) is given"
# a client that connects and says nothing is dropped after 5 s
python3 - "$API" <<'EOF' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
time.sleep(8)
EOF
silent=$!
alive "with a silent client"

# ---- bad input on the queues: detached with a reason, the daemon goes on
OUT=$(raw bad-msg)
assert_match '^detached error=71: worker 0: message of unknown type 4242' "$OUT" "unknown message type detaches"
OUT=$(raw bad-handle)
assert_match '^detached error=71: worker 0: CLOSE for session .* does not hold' "$OUT" "a handle not held detaches"
OUT=$(raw scribble)
assert_match '^detached error=71: worker 0: the request queue header was overwritten' "$OUT" \
	"a scribbled queue header detaches"
assert_match 'detached [0-9]+ \(bad input 3\)' "$(apps_line)" "bad input counted"
alive "after bad input"
OUT=$(raw detach)
assert_eq "detached in order" "$OUT" "DETACH: the daemon closes the API socket"
# a second daemon on the same API socket is refused before it starts
OUT=$(nsx A "$DPSTACKD" -l 0,1 --no-huge -m 64 --file-prefix "dpst-$T_ID-x" --no-pci -- \
	--ctl "$TMP/x.sock" --api "$API" 2>&1)
assert_match 'already running on .*api.sock' "$OUT" "a second daemon on the API socket is refused"
wait $silent 2>/dev/null

# ---- TCP echo through the FIFOs (listener made over the protocol)
"$RAW" -a "$API" -n echoer echo 7000 3 >"$TMP/echo.out" 2>&1 &
ep=$!
bg_track $ep
wait_for 5 grep -q listening "$TMP/echo.out" || fatal "echo app did not listen: $(cat "$TMP/echo.out")"
OUT=$(ctl d show sessions)
assert_match 'LISTEN +0\.0\.0\.0:7000 .* [0-9]+/echoer$' "$OUT" "show sessions names the owning app"
OUT=$(echo "hello dpstack" | nsx A timeout 20 nc -N "$DPS_IP" 7000)
assert_eq "hello dpstack" "$OUT" "nc: a line echoed through the FIFOs"
head -c $((4 << 20)) /dev/urandom >"$TMP/4m.bin"
nsx A timeout 60 socat -t 30 -T 30 STDIO "TCP:$DPS_IP:7000" <"$TMP/4m.bin" >"$TMP/4m.out"
assert_eq "$(sha "$TMP/4m.bin")" "$(sha "$TMP/4m.out")" "socat: 4 MiB echoed identical"
OUT=$(nsx A timeout 30 python3 - "$DPS_IP" <<'EOF'
import socket, sys, os
s = socket.create_connection((sys.argv[1], 7000))
data = os.urandom(300000)
s.sendall(data)
s.shutdown(socket.SHUT_WR)
got = b''
while True:
    b = s.recv(65536)
    if not b:
        break
    got += b
print("same" if got == data else "differ %d/%d" % (len(got), len(data)))
EOF
)
assert_eq same "$OUT" "python: half-close, 300 KB echoed, then EOF"
wait $ep
assert_eq 0 $? "echo app ends after 3 connections"
assert_match "^echoed $((14 + (4 << 20) + 300000)) bytes" "$(cat "$TMP/echo.out")" "echo app counted every byte"

# ---- connect from the app to a Linux server
nsx A python3 - "$LINUX_IP" 9100 >"$TMP/srv.out" 2>&1 <<'EOF' &
import socket, sys
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((sys.argv[1], int(sys.argv[2])))
l.listen(1)
print("ready", flush=True)
c, _ = l.accept()
while True:
    b = c.recv(65536)
    if not b:
        break
    c.sendall(b)
c.close()
EOF
sp=$!
bg_track $sp
wait_for 5 grep -q ready "$TMP/srv.out"
OUT=$(raw connect "$LINUX_IP" 9100 1000000)
assert_eq "sent 1000000 received 1000000" "$OUT" "CONNECT to a Linux echo server: 1 MB there and back"
OUT=$(raw connect "$LINUX_IP" 9101 10)
assert_eq "connect failed: Connection refused" "$OUT" "CONNECT to a closed Linux port: ECONNREFUSED"

# ---- UDP echo
"$RAW" -a "$API" -n udp udpecho 7001 3 >"$TMP/udp.out" 2>&1 &
up=$!
bg_track $up
wait_for 5 grep -q bound "$TMP/udp.out"
OUT=$(nsx A timeout 20 python3 - "$DPS_IP" <<'EOF'
import socket, sys, os
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
ok = 0
for n in (1, 1400, 9000):
    d = os.urandom(n)
    s.sendto(d, (sys.argv[1], 7001))
    b, a = s.recvfrom(70000)
    ok += b == d
print(ok)
EOF
)
assert_eq 3 "$OUT" "UDP: 3 datagrams (1 B, 1400 B, 9000 B fragmented) echoed"
wait $up

# ---- cut-through: two applications on this daemon, joined FIFO to FIFO
"$RAW" -a "$API" -n ctsrv echo 7010 4 >"$TMP/ct.out" 2>&1 &
cp=$!
bg_track $cp
wait_for 5 grep -q listening "$TMP/ct.out"
tx0=$(if_counter d net_tap0 tx packets)
OUT=$(timeout 120 "$RAW" -a "$API" -n ctcli connect 127.0.0.1 7010 1073741824)
assert_eq "sent 1073741824 received 1073741824" "$OUT" "cut-through via 127.0.0.1: 1 GiB there and back, pattern intact"
OUT=$(timeout 30 "$RAW" -a "$API" -n ctcli connect "$DPS_IP" 7010 100000)
assert_eq "sent 100000 received 100000" "$OUT" "cut-through via the interface address"
OUT=$(timeout 30 "$RAW" -a "$API" connect 127.0.0.1 7011 10)
assert_eq "connect failed: Connection refused" "$OUT" "local port nobody listens on: ECONNREFUSED"
assert_lt $(($(if_counter d net_tap0 tx packets) - tx0)) 20 "cut-through sends no packets"
# SIGKILL of one side: a reader that closes cleanly gives the other side
# CLOSED (FIN), one that left data unread gives RESET, as Linux would
"$RAW" -a "$API" -n ctfast connect 127.0.0.1 7010 4000000000 >/dev/null 2>&1 &
vp=$!
bg_track $vp
wait_for 10 sh -c "'$DPSTACKCTL' -s '${DPS_SOCK[d]}' show sessions | grep -q 'CUT_THROUGH.*ctfast'"
OUT=$(ctl d show sessions)
assert_match 'CUT_THROUGH +127\.0\.0\.1:[0-9]+ +127\.0\.0\.1:7010 .*/ctfast$' "$OUT" \
	"show sessions: a cut-through session and its owner"
sleep 0.3
{ kill -KILL $vp; wait $vp; } 2>/dev/null
wait_for 10 grep -q -E '^connection (closed|reset).* 1[0-9]{9}' "$TMP/ct.out"
assert_match '^connection (closed|reset)' "$(tail -1 "$TMP/ct.out")" "SIGKILL mid-transfer: the server hears of it"
"$RAW" -a "$API" -n ctstall connect-stall 127.0.0.1 7010 >"$TMP/stall.out" 2>&1 &
vp=$!
bg_track $vp
wait_for 10 grep -q stalled "$TMP/stall.out"
sleep 0.3
{ kill -KILL $vp; wait $vp; } 2>/dev/null
wait $cp
assert_eq 0 $? "the server application ends after its 4 connections"
assert_match '^connection reset' "$(tail -2 "$TMP/ct.out")" "SIGKILL with data unread: the other side gets RESET"
wait_for 10 sh -c "'$DPSTACKCTL' -s '${DPS_SOCK[d]}' show apps | grep -q '^apps 0 attached, 0 closing'"
assert_match '^apps 0 attached, 0 closing' "$(apps_line)" "cut-through: everything freed"

# ---- SIGKILL with connections: RST where data was left unread, FIN otherwise
"$RAW" -a "$API" -n victim listen 7002 hold >"$TMP/victim.out" 2>&1 &
vp=$!
bg_track $vp
wait_for 5 grep -q listening "$TMP/victim.out"
rm -f "$TMP/killed"
nsx A timeout 30 python3 - "$DPS_IP" "$TMP/killed" >"$TMP/kill.out" 2>&1 <<'EOF' &
import socket, sys, os, time
a = socket.create_connection((sys.argv[1], 7002))
a.sendall(b'x' * 1000)              # never read by the app
b = socket.create_connection((sys.argv[1], 7002))
print("connected", flush=True)
while not os.path.exists(sys.argv[2]):
    time.sleep(0.05)
for name, s in (("a", a), ("b", b)):
    s.settimeout(5)
    try:
        r = s.recv(10)
        print(name, "eof" if r == b'' else "data", flush=True)
    except ConnectionResetError:
        print(name, "reset", flush=True)
    except socket.timeout:
        print(name, "timeout", flush=True)
b.close()
EOF
kp=$!
wait_for 5 grep -q connected "$TMP/kill.out"
wait_for 5 sh -c "'$DPSTACKCTL' -s '${DPS_SOCK[d]}' show sessions | grep -c 'ESTABLISHED.*victim' | grep -q 2"
OUT=$(ctl d show fifo)
assert_match 'tcp +ESTABLISHED .*1000/262144 +0/262144' "$OUT" "show fifo: the unread 1000 bytes"
kill -KILL $vp
wait $vp 2>/dev/null
touch "$TMP/killed"
wait $kp
OUT=$(cat "$TMP/kill.out")
assert_match '^a reset$' "$OUT" "SIGKILL: the peer with unread data sent gets RST"
assert_match '^b eof$' "$OUT" "SIGKILL: the idle peer gets FIN"
wait_for 10 sh -c "'$DPSTACKCTL' -s '${DPS_SOCK[d]}' show apps | grep -q '^apps 0 attached, 0 closing'"
assert_match '^apps 0 attached, 0 closing' "$(apps_line)" "SIGKILL: show apps empty once the FIN exchange ended"
assert_no_match 'victim|LISTEN' "$(ctl d show sessions)" "SIGKILL: no session of the app is left"

# ---- an application that scribbles on a FIFO header is detached, its
# peer reset, before the daemon writes into that FIFO
"$RAW" -a "$API" -n scribbler fifo-scribble 7003 >"$TMP/scr.out" 2>&1 &
sp=$!
bg_track $sp
wait_for 5 grep -q listening "$TMP/scr.out"
OUT=$(nsx A timeout 20 python3 - "$DPS_IP" "$TMP/scr.out" <<'EOF'
import socket, sys, time
s = socket.create_connection((sys.argv[1], 7003))
for i in range(100):
    if "scribbled" in open(sys.argv[2]).read():
        break
    time.sleep(0.05)
s.settimeout(5)
try:
    s.sendall(b'y' * 5000)
    r = s.recv(10)
    print("eof" if r == b'' else "data")
except ConnectionResetError:
    print("reset")
except socket.timeout:
    print("timeout")
EOF
)
assert_eq reset "$OUT" "FIFO header overwritten: the peer is reset"
wait $sp
assert_match '^detached error=71: worker 0: session [0-9]+: a FIFO header was overwritten' \
	"$(cat "$TMP/scr.out")" "FIFO header overwritten: the application is detached and told why"
assert_gt "$(err_counter d app_fifo_bad)" 0 "show errors counts the packet dropped for it"
alive "after a FIFO scribble"

# ---- attach/kill cycles: nothing leaks
fd1=$(fd_count)
for ((i = 0; i < 200; i++)); do
	"$RAW" -a "$API" -n cyc listen $((7100 + i % 50)) hold >"$TMP/cyc.out" 2>&1 &
	p=$!
	for ((j = 0; j < 200; j++)); do
		grep -q -E 'listening|refused' "$TMP/cyc.out" 2>/dev/null && break
		sleep 0.01
	done
	kill -KILL $p
	wait $p 2>/dev/null
done
wait_for 10 sh -c "'$DPSTACKCTL' -s '${DPS_SOCK[d]}' show apps | grep -q '^apps 0 attached, 0 closing'"
assert_match '^apps 0 attached, 0 closing' "$(apps_line)" "200 attach/kill cycles: show apps empty"
fd2=$(fd_count)
assert_eq "$fd1" "$fd2" "200 attach/kill cycles: dpstackd's descriptor count is flat"
assert_eq "$fd0" "$fd2" "descriptor count as before the first attach"
assert_no_match ' [0-9]+/[^ ]+$' "$(ctl d show sessions)" "no session of an application left"
log "attach/kill: descriptors $fd0 -> $fd1 -> $fd2; $(apps_line)"

# ---- a daemon with a secret
dps_start s A -- --api-secret s3cret
SAPI=${DPS_SOCK[s]%.sock}-api.sock
OUT=$("$RAW" -a "$SAPI" attach)
assert_match '^refused error=13: wrong secret' "$OUT" "no secret: EACCES"
OUT=$("$RAW" -a "$SAPI" -k s3cre attach)
assert_match '^refused error=13: wrong secret' "$OUT" "a wrong secret: EACCES"
OUT=$("$RAW" -a "$SAPI" -k s3cret attach)
assert_match '^attached id=1 ' "$OUT" "the right secret attaches"
dps_stop s

dps_stop d
finish
