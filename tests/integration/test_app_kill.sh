#!/usr/bin/env bash
# Apps over libdpsock killed with SIGKILL in the middle of transfers
# (issue 4): dps-httpd while Linux curl downloads, the dps-perf server
# while a Linux client sends, the dps-perf client while it sends to a
# Linux server. Each Linux peer sees RST or FIN at once (not a hang), what
# arrived before is intact, dpstackd keeps serving another app (dps-echo)
# throughout, and show apps / show sessions no longer list the dead app.
# Then attach/kill cycles of dps-httpd, and the port serves again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_svc.sh"
. "$(dirname "$0")/lib_app.sh"

app_daemon d A dpatap3 43
WWW=$TMP/www
mkdir -p "$WWW"
head -c $((200 << 20)) /dev/urandom >"$WWW/200M.bin"
printf 'still here\n' >"$WWW/index.html"

app_start echo 'serving TCP echo' A "$APPS/dps-echo" -s -p 7
app_start httpd '^dps-httpd: serving' A "$APPS/dps-httpd" --root "$WWW" --port 8080
app_start perf '^dps-perf: server on' A "$APPS/dps-perf" -s -p 5300

# echo_ok WHEN: the other app still echoes, over dpstack, for Linux.
echo_ok() {
	local out
	out=$(echo "ping $1" | nsx A timeout 10 nc -N "$DPS_IP" 7)
	assert_eq "ping $1" "$out" "dps-echo still answers $1"
}
# app_listed NAME: show apps or show sessions still name the app.
app_listed() {
	ctl d show apps | grep -q " $1 " || ctl d show sessions | grep -q "/$1\$"
}
# gone_check NAME: dpstackd forgets the app within 10 s.
gone_check() {
	wait_for 10 sh -c "! { '$DPSTACKCTL' -s '${DPS_SOCK[d]}' show apps | grep -q ' $1 ' ||
		'$DPSTACKCTL' -s '${DPS_SOCK[d]}' show sessions | grep -q '/$1\$'; }"
	assert_no_match " $1 " "$(ctl d show apps)" "show apps no longer lists $1"
	assert_no_match "/$1\$" "$(ctl d show sessions)" "show sessions no longer lists $1"
}
# secs_since T0: seconds from T0 (date +%s.%N) to now, rounded down.
secs_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%d", b - a }'; }

echo_ok "before the kills"

# ---- dps-httpd killed while curl downloads
ip netns exec "$(ns A)" curl -sS --limit-rate 8M --max-time 60 -o "$TMP/part.bin" \
	"http://$DPS_IP:8080/200M.bin" 2>"$TMP/curl.err" &
cpid=$!
bg_track $cpid
part_started() { [ "$(stat -c %s "$TMP/part.bin" 2>/dev/null || echo 0)" -gt $((4 << 20)) ]; }
wait_for 10 part_started || fatal "the download did not start"
assert_match 'ESTABLISHED .*/dps-httpd$' "$(ctl d show sessions)" "the download's session belongs to dps-httpd"
app_kill httpd
t0=$(date +%s.%N)
wait $cpid
rc=$?
took=$(secs_since "$t0")
assert_match '^(18|56)$' "$rc" "curl ends with FIN (exit 18) or RST (exit 56) after the kill (exit $rc)"
assert_lt "$took" 10 "curl ended $took s after the kill, not at its timeout"
log "dps-httpd killed: curl exit $rc ($(cat "$TMP/curl.err")) after $(stat -c %s "$TMP/part.bin") bytes"
size=$(stat -c %s "$TMP/part.bin")
assert_lt "$size" $((200 << 20)) "the download was cut short"
assert_eq "$(head -c "$size" "$WWW/200M.bin" | sha256sum | awk '{ print $1 }')" "$(sha "$TMP/part.bin")" \
	"what arrived before the kill is intact"
gone_check dps-httpd
OUT=$(nsx A curl -s --max-time 10 -o /dev/null -w '%{http_code}' "http://$DPS_IP:8080/")
assert_eq 000 "$OUT" "port 8080 refuses once dps-httpd died"
assert_ok "dpstackd still answers" ctl d show version
echo_ok "after dps-httpd died"

# ---- the dps-perf server killed while a Linux client sends
ip netns exec "$(ns A)" "$APPS/dps-perf-kernel" -c "$DPS_IP" -p 5300 -m bulk -t 60 \
	>"$TMP/perfc.out" 2>&1 &
cpid=$!
bg_track $cpid
wait_for 10 sh -c "'$DPSTACKCTL' -s '${DPS_SOCK[d]}' show sessions | grep -q 'ESTABLISHED.*/dps-perf\$'" ||
	fatal "the bulk transfer did not start"
sleep 1
app_kill perf
t0=$(date +%s.%N)
wait $cpid
rc=$?
took=$(secs_since "$t0")
assert_eq 1 "$rc" "the Linux client fails when the server app dies"
assert_match 'Connection reset by peer|Broken pipe|the server closed' "$(cat "$TMP/perfc.out")" \
	"the Linux sender sees RST (or FIN)"
assert_lt "$took" 10 "it ended $took s after the kill, not after its 60 s"
log "dps-perf server killed: $(head -1 "$TMP/perfc.out")"
gone_check dps-perf
echo_ok "after the dps-perf server died"

# ---- the dps-perf client killed while it sends to a Linux server
ip netns exec "$(ns A)" "$APPS/dps-perf-kernel" -s -B "$LINUX_IP" -p 5301 -v \
	>"$TMP/perfs.out" 2>&1 &
spid=$!
bg_track $spid
wait_for 5 grep -q 'server on' "$TMP/perfs.out" || fatal "the Linux dps-perf server did not start"
app_start perfc '' A "$APPS/dps-perf" -c "$LINUX_IP" -p 5301 -m bulk -t 60
estab() { nsx A ss -Htn state established "sport = :5301" | grep -c .; }
wait_for 10 test "$(estab)" -gt 0 ||
	fatal "the app's bulk connection did not come up:" "$(cat "${APP_LOG[perfc]}" "$TMP/perfs.out")"
sleep 1
app_kill perfc
wait_for 10 test "$(estab)" = 0
assert_eq 0 "$(estab)" "the Linux server's connection ended after the client app died"
gone_check dps-perf
echo_ok "after the dps-perf client died"

# ---- attach/kill cycles, then the port serves again
for ((i = 0; i < 20; i++)); do
	app_start cyc '^dps-httpd: serving' A "$APPS/dps-httpd" --root "$WWW" --port 8080
	app_kill cyc
done
gone_check dps-httpd
assert_match '^apps 1 attached, 0 closing' "$(apps_line d)" "after 20 attach/kill cycles only dps-echo is attached"
app_start httpd '^dps-httpd: serving' A "$APPS/dps-httpd" --root "$WWW" --port 8080
OUT=$(nsx A curl -sS --max-time 10 "http://$DPS_IP:8080/")
assert_eq "still here" "$OUT" "a new dps-httpd serves on the same port"
app_stop httpd
app_stop echo
wait_for 10 apps_gone d
assert_match '^apps 0 attached, 0 closing' "$(apps_line d)" "show apps: every app gone"
if dps_running d; then pass "dpstackd ran through every kill"; else fail "dpstackd died"; fi
dps_stop d
finish
