#!/usr/bin/env bash
# Linux curl against dpstack's built-in HTTP service over TAP: a 100 MiB
# download whose SHA-256 matches, keep-alive (two URLs on one
# connection), 404, HEAD, 405, 400; then, with nftables dropping 2% of
# the packets each way at random, a 24 MiB download still matches. The
# service's counters, TCP retransmissions and the mbuf pool are checked
# too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_svc.sh"

TAP=dptap0
svc_daemon d A $TAP 12
URL=http://$DPS_IP

WWW=$TMP/www
mkdir -p "$WWW/docs"
printf '<!doctype html>\n<title>dpstack</title>\n<h1>served by dpstack</h1>\n' >"$WWW/index.html"
printf 'small file\n' >"$WWW/docs/small.txt"
head -c $((100 << 20)) /dev/urandom >"$WWW/big.bin"
head -c $((24 << 20)) /dev/urandom >"$WWW/mid.bin"

ctl_must d service start http port 80 root "$WWW"
assert_match '^http +tcp +80 +0 +0 +0 .*\(4 files, 124\.0 MiB\)' "$(ctl d show services)" \
	"show services lists the http service with its files"
assert_fails "a second service on port 80 is refused" ctl d service start echo port 80
assert_match '^error: port 80/tcp is in use by service http 80/tcp$' "$OUT" "one error line naming the user"
ctl_must d clear counters
mb0=$(mbufs_in_use d)

# download WHAT FILE MAXTIME: curl gets FILE whole and intact; logs the rate.
download() {
	local what=$1 file=$2 t0 t1 code size speed
	t0=$(date +%s.%N)
	assert_ok "curl downloads $what" nsx A curl -sS --max-time "$3" -o "$TMP/dl.out" \
		-w '%{http_code} %{size_download} %{speed_download}\n' "$URL/$file"
	t1=$(date +%s.%N)
	read -r code size speed <<<"$OUT"
	assert_eq 200 "$code" "$what: status 200"
	assert_eq "$(stat -c %s "$WWW/$file")" "$size" "$what: every byte"
	assert_eq "$(sha "$WWW/$file")" "$(sha "$TMP/dl.out")" "$what: SHA-256 matches"
	log "$what in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s," \
		"$(awk -v s="$speed" 'BEGIN { printf "%.0f", s * 8 / 1e6 }') Mbit/s"
	rm -f "$TMP/dl.out"
}

# ---- 100 MiB, no loss
download "100 MiB" big.bin 60

# ---- keep-alive: two URLs, one connection
acc0=$(svc_col d http tcp 80 accepted)
assert_ok "curl fetches two URLs" nsx A curl -sS -v --max-time 10 -o "$TMP/a.out" -o "$TMP/b.out" \
	"$URL/" "$URL/docs/small.txt"
assert_match 'Re-using existing connection|Reusing existing' "$OUT" "curl re-used the connection"
assert_eq "$((acc0 + 1))" "$(svc_col d http tcp 80 accepted)" "one connection accepted for two requests"
assert_eq "$(sha "$WWW/index.html")" "$(sha "$TMP/a.out")" "/ is index.html"
assert_eq "small file" "$(cat "$TMP/b.out")" "/docs/small.txt"
assert_match '< Content-Type: text/html' "$OUT" "Content-Type of index.html"
assert_match '< Connection: keep-alive' "$OUT" "the server keeps the connection"

# ---- errors and HEAD
OUT=$(nsx A curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$URL/missing.html")
assert_eq 404 "$OUT" "a missing file: 404"
OUT=$(nsx A curl -s --max-time 10 -o /dev/null -w '%{http_code}' -X POST -d 'x=1' "$URL/")
assert_eq 405 "$OUT" "POST: 405"
assert_ok "HEAD of the 100 MiB file" nsx A curl -sS --max-time 10 -I "$URL/big.bin"
assert_match '^HTTP/1.1 200 OK' "$OUT" "HEAD: 200"
assert_match "^Content-Length: $((100 << 20))" "$(tr -d '\r' <<<"$OUT")" "HEAD: the length, no body"
OUT=$(printf 'GET /../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n' | nsx A nc -w 5 "$DPS_IP" 80 | head -1)
assert_match '^HTTP/1.1 400 Bad Request' "$OUT" "a '..' path: 400"
OUT=$(printf 'GET / HTTP/1.1\r\n\r\n' | nsx A nc -w 5 "$DPS_IP" 80 | head -1)
assert_match '^HTTP/1.1 400 Bad Request' "$OUT" "HTTP/1.1 without Host: 400"
OUT=$(printf 'GET / HTTP/1.0\r\n\r\n' | nsx A nc -w 5 "$DPS_IP" 80 | tr -d '\r')
assert_match '^Connection: close' "$OUT" "HTTP/1.0: the server closes after the answer"
assert_match 'served by dpstack' "$OUT" "HTTP/1.0: the page"
OUT=$(nsx A curl -s --max-time 10 -o /dev/null -w '%{http_code}' "http://$DPS_IP:81/")
assert_ne 200 "$OUT" "nothing listens on port 81"
assert_match '^000$' "$OUT" "port 81: connection refused (reset)"

# ---- 2% loss each way
loss_on A $TAP 2
rtx0=$(tcp_stat d retrans_segs)
download "24 MiB through 2% loss" mid.bin 50
dropped=$(loss_dropped A)
assert_gt "$dropped" 10 "nftables dropped packets ($dropped)"
assert_gt "$(tcp_stat d retrans_segs)" "$rtx0" "dpstack retransmitted"
log "loss: $dropped packets dropped by nftables, $(( $(tcp_stat d retrans_segs) - rtx0 ))" \
	"segments retransmitted by dpstack"
loss_off A

# ---- every connection gone, every mbuf back
wait_for 10 test "$(svc_col d http tcp 80 conns)" = 0
assert_eq 0 "$(svc_col d http tcp 80 conns)" "no connection left open"
wait_for 10 test "$(sessions_in d ESTABLISHED)" = 0
assert_eq 0 "$(sessions_in d ESTABLISHED)" "no ESTABLISHED session left"
wait_for 10 test "$(mbufs_in_use d)" = "$mb0"
assert_eq "$mb0" "$(mbufs_in_use d)" "mbufs in use back to where they started"
assert_no_match 'bad_checksum|truncated|bad_offset|bad_options' "$(ctl d show errors)" \
	"no malformed segments"

ctl_must d service stop http
# dpstack closed first after 400s and HTTP/1.0: those wait in TIME-WAIT (2 MSL)
assert_match '^total [0-9]+(: TIME_WAIT [0-9]+)?$' "$(sessions_total d)" \
	"no socket but TIME-WAIT after the service stopped"
dps_stop d
finish
