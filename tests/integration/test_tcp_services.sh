#!/usr/bin/env bash
# Linux nc, socat and python3 against dpstack's built-in echo, discard and
# source services over TAP, TCP and UDP: data comes back identical, the
# service counts what it got, the source sends exactly its bytes; UDP to a
# closed port is refused (ICMP port unreachable), TCP to one is reset.
# The TCP cases run again with nftables dropping 2% of the packets each
# way at random.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_svc.sh"

TAP=dptap0
svc_daemon d A $TAP 13
SRC_BYTES=5000003

ctl_must d service start echo port 7
ctl_must d service start echo udp port 7
ctl_must d service start discard port 9
ctl_must d service start discard udp port 9
ctl_must d service start source port 19 bytes $SRC_BYTES
svcs=$(ctl d show services)
for s in 'echo +tcp +7' 'echo +udp +7' 'discard +tcp +9' 'discard +udp +9' 'source +tcp +19 .*bytes 5000003'; do
	assert_match "^$s" "$svcs" "show services: $s"
done
assert_eq 'total 5: LISTEN 3, UDP 2' "$(sessions_total d)" "one listener or UDP socket per service"
mb0=$(mbufs_in_use d)

head -c $((1 << 20)) /dev/urandom >"$TMP/1m.bin"
head -c $((10 << 20)) /dev/urandom >"$TMP/10m.bin"
source_pattern $SRC_BYTES "$TMP/source.want"

# tcp_round WHAT: echo (nc and socat), discard, source; one pass.
tcp_round() {
	local what=$1 rx0 n

	# nc: a line out and back; -N sends FIN at the end of stdin
	OUT=$(echo "hello dpstack" | nsx A timeout 20 nc -N "$DPS_IP" 7)
	assert_eq "hello dpstack" "$OUT" "$what: nc echo"

	# socat: 1 MiB both ways at once; -t: wait for the echo after our FIN
	rm -f "$TMP/echo.out"
	nsx A timeout 50 socat -t 40 -T 40 STDIO "TCP:$DPS_IP:7" <"$TMP/1m.bin" >"$TMP/echo.out"
	assert_eq 0 $? "$what: socat echo of 1 MiB exits 0"
	assert_eq "$(sha "$TMP/1m.bin")" "$(sha "$TMP/echo.out")" "$what: 1 MiB came back identical"

	# discard: 10 MiB, counted by the service
	rx0=$(svc_col d discard tcp 9 rx)
	assert_ok "$what: socat sends 10 MiB to discard" nsx A timeout 50 socat -u \
		"OPEN:$TMP/10m.bin,rdonly" "TCP:$DPS_IP:9"
	wait_for 10 test "$(svc_col d discard tcp 9 rx)" = $((rx0 + (10 << 20)))
	assert_eq $((rx0 + (10 << 20))) "$(svc_col d discard tcp 9 rx)" \
		"$what: discard counted 10 MiB"

	# source: exactly its bytes, the pattern i % 251, then EOF
	rm -f "$TMP/source.out"
	assert_ok "$what: socat reads the source" nsx A timeout 50 socat -u "TCP:$DPS_IP:19" \
		"CREATE:$TMP/source.out"
	n=$(stat -c %s "$TMP/source.out" 2>/dev/null)
	assert_eq $SRC_BYTES "$n" "$what: source sent exactly $SRC_BYTES bytes"
	assert_eq "$(sha "$TMP/source.want")" "$(sha "$TMP/source.out")" "$what: source pattern intact"
}

tcp_round "no loss"

# ---- UDP: echo of many sizes (beyond the MTU: fragmented both ways),
# discard counted, a closed port refused
OUT=$(nsx A timeout 20 python3 - "$DPS_IP" <<'EOF'
import os, socket, sys
ip = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect((ip, 7))
ok = bad = 0
# up to the largest datagram: 65507 bytes, 45 fragments each way
for size in [0, 1, 100, 1472, 1473, 3000, 8000, 11800, 11840, 30000, 65507]:
    data = os.urandom(size)
    s.send(data)
    try:
        back = s.recv(70000)
    except socket.timeout:
        back = None
    if back == data:
        ok += 1
    else:
        bad += 1
        print("size", size, "came back", None if back is None else len(back))
print("echo ok", ok, "bad", bad)
d = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(50):
    d.sendto(b"x" * 100, (ip, 9))
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
c.settimeout(2)
c.connect((ip, 4444))
c.send(b"anyone?")
try:
    c.recv(100)
    print("closed port: answered")
except ConnectionRefusedError:
    print("closed port: refused")
except socket.timeout:
    print("closed port: no answer")
EOF
)
assert_match '^echo ok 11 bad 0$' "$OUT" "UDP echo: 11 sizes up to 65507 bytes (45 fragments) came back identical"
assert_match '^closed port: refused$' "$OUT" "UDP to a closed port: ECONNREFUSED (ICMP port unreachable)"
wait_for 5 test "$(svc_col d discard udp 9 requests)" = 50
assert_eq 50 "$(svc_col d discard udp 9 requests)" "UDP discard counted 50 datagrams"
assert_eq 5000 "$(svc_col d discard udp 9 rx)" "UDP discard counted 5000 bytes"
assert_eq 11 "$(svc_col d echo udp 7 requests)" "UDP echo counted 11 datagrams"
assert_gt "$(err_counter d udp_no_port)" 0 "udp_no_port counted"
OUT=$(echo "ping" | nsx A timeout 10 socat -t 2 - "UDP:$DPS_IP:7")
assert_eq "ping" "$OUT" "socat UDP echo"

# TCP to a closed port: reset
assert_fails "TCP to a closed port is refused" nsx A timeout 10 nc -z -w 3 "$DPS_IP" 4444
assert_gt "$(err_counter d tcp_no_socket)" 0 "tcp_no_socket counted"

# ---- the TCP cases again through 2% loss each way
loss_on A $TAP 2
rtx0=$(tcp_stat d retrans_segs)
tcp_round "2% loss"
dropped=$(loss_dropped A)
assert_gt "$dropped" 10 "nftables dropped packets ($dropped)"
assert_gt "$(tcp_stat d retrans_segs)" "$rtx0" "dpstack retransmitted"
loss_off A

# ---- all closed, nothing leaked
for s in "echo tcp 7" "discard tcp 9" "source tcp 19"; do
	# shellcheck disable=SC2086
	wait_for 10 test "$(svc_col d $s conns)" = 0
	# shellcheck disable=SC2086
	assert_eq 0 "$(svc_col d $s conns)" "$s: no connection left"
done
wait_for 10 test "$(sessions_in d ESTABLISHED)" = 0
assert_eq 0 "$(sessions_in d ESTABLISHED)" "no ESTABLISHED session left"
wait_for 10 test "$(mbufs_in_use d)" = "$mb0"
assert_eq "$mb0" "$(mbufs_in_use d)" "mbufs in use back to where they started"

for s in 7/tcp 7/udp 9 discard source; do
	if [ "$s" = 9 ]; then
		assert_fails "service stop 9 is ambiguous while 9/udp runs" ctl d service stop 9
		assert_match "fits 2 services" "$OUT" "the error names both"
		s=9/udp
	fi
	ctl_must d service stop $s
done
assert_eq "no services" "$(ctl d show services)" "every service stopped"
assert_match '^total [0-9]+(: TIME_WAIT [0-9]+)?$' "$(sessions_total d)" \
	"no socket but TIME-WAIT left"
dps_stop d
finish
