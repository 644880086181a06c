#!/usr/bin/env bash
# dps-httpd over libdpsock (issue 4): dpstackd on a TAP port with an API
# socket, the app attached to it serving a directory; Linux curl and wget
# fetch files of 1 KiB to 200 MiB and their SHA-256 match; keep-alive
# (several URLs on one connection, pipelined requests), HEAD, 404, 405,
# 400; twenty downloads at once; show apps and show sessions name the app;
# SIGTERM ends it in order and dpstackd forgets it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_svc.sh"
command -v wget >/dev/null || { echo "[$T_NAME] SKIP: wget is missing (scripts/deps.sh)"; exit 77; }
. "$(dirname "$0")/lib_app.sh"

app_daemon d A dpatap1 41
PORT=8080
URL=http://$DPS_IP:$PORT

WWW=$TMP/www
mkdir -p "$WWW/docs"
printf '<!doctype html>\n<title>dps-httpd</title>\n<h1>served by an app over dpstack</h1>\n' \
	>"$WWW/index.html"
printf 'small file\n' >"$WWW/docs/small.txt"
printf 'docs index\n' >"$WWW/docs/index.html"
FILES=()
for spec in 1K:1024 64K:65536 1M1:1048577 10M:$((10 << 20)) 200M:$((200 << 20)); do
	name=${spec%%:*}.bin
	head -c "${spec#*:}" /dev/urandom >"$WWW/$name"
	FILES+=("$name")
done

app_start httpd '^dps-httpd: serving' A "$APPS/dps-httpd" --root "$WWW" --port $PORT
HPID=${APP_PID[httpd]}
OUT=$(ctl d show apps)
assert_match "^ +[0-9]+ dps-httpd +$HPID +0 .*attached$" "$OUT" "show apps lists dps-httpd with its pid"
assert_match '^apps 1 attached, 0 closing' "$OUT" "one application attached"
assert_match "LISTEN +0\.0\.0\.0:$PORT .* [0-9]+/dps-httpd$" "$(ctl d show sessions)" \
	"show sessions: the listener belongs to dps-httpd"

# fetch WHAT TOOL FILE: TOOL (curl or wget) gets FILE whole and intact.
fetch() {
	local tool=$1 file=$2 t0 t1
	rm -f "$TMP/dl.out"
	t0=$(date +%s.%N)
	if [ "$tool" = curl ]; then
		assert_ok "curl $file" nsx A curl -sS --max-time 120 -o "$TMP/dl.out" \
			-w '%{http_code}\n' "$URL/$file"
		assert_eq 200 "$OUT" "curl $file: status 200"
	else
		assert_ok "wget $file" nsx A wget -q -T 60 -O "$TMP/dl.out" "$URL/$file"
	fi
	t1=$(date +%s.%N)
	assert_eq "$(stat -c %s "$WWW/$file")" "$(stat -c %s "$TMP/dl.out" 2>/dev/null)" \
		"$tool $file: every byte"
	assert_eq "$(sha "$WWW/$file")" "$(sha "$TMP/dl.out")" "$tool $file: SHA-256 matches"
	[ "$(stat -c %s "$WWW/$file")" -ge $((10 << 20)) ] &&
		log "$tool $file: $(awk -v a="$t0" -v b="$t1" -v s="$(stat -c %s "$WWW/$file")" \
		'BEGIN { printf "%.2f s, %.0f Mbit/s", b - a, s * 8 / (b - a) / 1e6 }')"
	return 0
}

for f in "${FILES[@]}"; do fetch curl "$f"; done
for f in 1K.bin 1M1.bin 200M.bin; do fetch wget "$f"; done

# ---- keep-alive: three URLs on one connection
assert_ok "curl fetches three URLs" nsx A curl -sS -v --max-time 20 -o "$TMP/a.out" \
	-o "$TMP/b.out" -o "$TMP/c.out" -w '%{num_connects}\n' \
	"$URL/" "$URL/docs/small.txt" "$URL/1M1.bin"
assert_eq "1 0 0" "$(grep -E '^[0-9]+$' <<<"$OUT" | tr '\n' ' ' | sed 's/ $//')" \
	"one connection for three requests"
assert_match '< Connection: keep-alive' "$OUT" "the server keeps the connection"
assert_match '< Content-Type: text/html' "$OUT" "Content-Type of index.html"
assert_eq "$(sha "$WWW/index.html")" "$(sha "$TMP/a.out")" "/ is index.html"
assert_eq "small file" "$(cat "$TMP/b.out")" "/docs/small.txt"
assert_eq "$(sha "$WWW/1M1.bin")" "$(sha "$TMP/c.out")" "the third answer on the connection"
OUT=$(nsx A curl -sS --max-time 10 "$URL/docs/")
assert_eq "docs index" "$OUT" "/docs/ is docs/index.html"

# pipelined: three requests in one write, answered in order
OUT=$(printf 'GET /docs/small.txt HTTP/1.1\r\nHost: x\r\n\r\nHEAD /1K.bin HTTP/1.1\r\nHost: x\r\n\r\nGET /docs/small.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
	nsx A timeout 10 nc "$DPS_IP" $PORT | tr -d '\r')
assert_eq 3 "$(grep -c '^HTTP/1.1 200 OK' <<<"$OUT")" "pipelined: three answers"
assert_eq 2 "$(grep -c '^small file$' <<<"$OUT")" "pipelined: two bodies, none for HEAD"
assert_match '^Content-Length: 1024$' "$OUT" "pipelined: HEAD has the length"
assert_match '^Connection: close$' "$OUT" "Connection: close honoured"

# ---- errors and HEAD
OUT=$(nsx A curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$URL/missing.html")
assert_eq 404 "$OUT" "a missing file: 404"
OUT=$(nsx A curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$URL/docs")
assert_eq 404 "$OUT" "a directory without its slash: 404"
OUT=$(nsx A curl -s --max-time 10 -o /dev/null -w '%{http_code}' -X POST -d 'x=1' "$URL/")
assert_eq 405 "$OUT" "POST: 405"
assert_ok "HEAD of the 200 MiB file" nsx A curl -sS --max-time 10 -I "$URL/200M.bin"
assert_match '^HTTP/1.1 200 OK' "$OUT" "HEAD: 200"
assert_match "^Content-Length: $((200 << 20))" "$(tr -d '\r' <<<"$OUT")" "HEAD: the length, no body"
OUT=$(printf 'GET /../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n' | nsx A timeout 10 nc "$DPS_IP" $PORT | head -1)
assert_match '^HTTP/1.1 400 Bad Request' "$OUT" "a '..' path: 400"
OUT=$(printf 'GET / HTTP/1.1\r\n\r\n' | nsx A timeout 10 nc "$DPS_IP" $PORT | head -1)
assert_match '^HTTP/1.1 400 Bad Request' "$OUT" "HTTP/1.1 without Host: 400"
OUT=$(printf 'GET / HTTP/1.0\r\n\r\n' | nsx A timeout 10 nc "$DPS_IP" $PORT | tr -d '\r')
assert_match '^Connection: close' "$OUT" "HTTP/1.0: the server closes after the answer"
assert_match 'served by an app over dpstack' "$OUT" "HTTP/1.0: the page"

# ---- twenty downloads at once
pids=()
for i in $(seq 20); do
	nsx A curl -sS --max-time 120 -o "$TMP/par$i.out" "$URL/10M.bin" &
	pids+=($!)
done
bad=0
for p in "${pids[@]}"; do wait "$p" || bad=$((bad + 1)); done
assert_eq 0 "$bad" "twenty parallel curl downloads succeed"
want=$(sha "$WWW/10M.bin")
same=0
for i in $(seq 20); do [ "$(sha "$TMP/par$i.out")" = "$want" ] && same=$((same + 1)); done
assert_eq 20 "$same" "twenty parallel downloads of 10 MiB match"
rm -f "$TMP"/par*.out

# ---- the app ends in order; dpstackd forgets it
wait_for 10 test "$(sessions_in d ESTABLISHED)" = 0
assert_eq 0 "$(sessions_in d ESTABLISHED)" "no connection left open"
app_stop httpd
assert_match '^dps-httpd: [0-9]+ connections, [0-9]+ requests' "$(cat "${APP_LOG[httpd]}")" \
	"dps-httpd printed its summary"
wait_for 10 apps_gone d
assert_match '^apps 0 attached, 0 closing' "$(apps_line d)" "show apps: dps-httpd is gone"
assert_no_match 'dps-httpd' "$(ctl d show sessions)" "show sessions: nothing of dps-httpd left"
OUT=$(nsx A curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$URL/")
assert_eq 000 "$OUT" "port $PORT is closed once the app ended"
assert_no_match 'bad_checksum|truncated|bad_offset|bad_options' "$(ctl d show errors)" \
	"no malformed segments"
dps_stop d
finish
