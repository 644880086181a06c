#!/usr/bin/env bash
# Many connections at once against dpstack over TAP: a python3 asyncio
# client holds 1000 connections to the echo service open together (the
# service and `show sessions` see all of them), moves 16 KiB through each
# and checks it, closes them; then 1000 short HTTP connections, 64 at a
# time. Afterwards no connection is left (`show sessions` lists only the
# two listeners: the clients closed first, so no TIME-WAIT on dpstack),
# and the mbuf pool is back to its count at the start.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_svc.sh"

TAP=dptap0
N=${DPS_SCALE_CONNS:-1000}
# handshakes in flight at once: below the listener's SYN queue (128), so
# this is about many established connections, not about SYN cookies
BURST=${DPS_SCALE_BURST:-64}
svc_daemon d A $TAP 14

WWW=$TMP/www
mkdir -p "$WWW"
head -c 3000 /dev/urandom | base64 -w 76 >"$WWW/index.html"
ctl_must d service start echo port 7
ctl_must d service start http port 80 root "$WWW"
assert_eq 'total 2: LISTEN 2' "$(sessions_total d)" "two listeners to start with"
mb0=$(mbufs_in_use d)

cat >"$TMP/scale.py" <<'EOF'
import asyncio, hashlib, os, sys, time

ip, n, burst, flag = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
SIZE = 16384

async def main():
    sem = asyncio.Semaphore(burst)

    async def opener():
        async with sem:
            return await asyncio.wait_for(asyncio.open_connection(ip, 7), 20)

    t0 = time.time()
    conns = await asyncio.gather(*(opener() for _ in range(n)))
    print(f"open {len(conns)} in {time.time() - t0:.2f} s", flush=True)
    # the shell checks the counters while every connection is open
    for _ in range(300):
        if os.path.exists(flag):
            break
        await asyncio.sleep(0.1)

    async def echo(r, w):
        data = os.urandom(SIZE)
        w.write(data)
        await w.drain()
        back = await asyncio.wait_for(r.readexactly(SIZE), 30)
        return back == data

    t0 = time.time()
    ok = await asyncio.gather(*(echo(r, w) for r, w in conns))
    print(f"echo ok {sum(ok)} bad {len(ok) - sum(ok)} in {time.time() - t0:.2f} s", flush=True)
    for r, w in conns:
        w.close()
    await asyncio.gather(*(w.wait_closed() for r, w in conns), return_exceptions=True)

    want = hashlib.sha256(open(sys.argv[5], "rb").read()).hexdigest()
    sem = asyncio.Semaphore(burst)

    async def get():
        async with sem:
            r, w = await asyncio.wait_for(asyncio.open_connection(ip, 80), 20)
            w.write(b"GET / HTTP/1.1\r\nHost: dpstack\r\n\r\n")
            head = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), 20)
            clen = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0].split(b":")[1])
            body = await asyncio.wait_for(r.readexactly(clen), 20)
            w.close()
            await w.wait_closed()
            return head.startswith(b"HTTP/1.1 200") and hashlib.sha256(body).hexdigest() == want

    t0 = time.time()
    ok = await asyncio.gather(*(get() for _ in range(n)), return_exceptions=True)
    good = sum(1 for x in ok if x is True)
    errs = [repr(x) for x in ok if isinstance(x, BaseException)][:3]
    print(f"http ok {good} bad {n - good} in {time.time() - t0:.2f} s {errs}", flush=True)

asyncio.run(main())
EOF

nsx A bash -c "ulimit -n 16384 && exec python3 '$TMP/scale.py' '$DPS_IP' $N $BURST '$TMP/go' \
	'$WWW/index.html'" >"$TMP/scale.out" 2>&1 &
py=$!
bg_track $py
if wait_for 40 grep -q '^open ' "$TMP/scale.out"; then
	log "$(grep '^open ' "$TMP/scale.out")"
	assert_eq "$N" "$(svc_col d echo tcp 7 conns)" "the echo service holds $N connections at once"
	assert_eq "$N" "$(sessions_in d ESTABLISHED)" "show sessions: $N ESTABLISHED"
	assert_gt "$(mbufs_in_use d)" 0 "mbufs in use while $N connections are open"
else
	fail "python3 opened $N connections within 40 s" "$(cat "$TMP/scale.out")"
fi
touch "$TMP/go"
wait_for 50 test ! -d "/proc/$py"
wait $py
rc=$?
assert_eq 0 "$rc" "the python3 client exits 0"
res=$(cat "$TMP/scale.out")
log "$(grep -E '^(echo|http) ' <<<"$res" | tr '\n' ';')"
assert_match "^echo ok $N bad 0 " "$res" "$N connections echoed 16 KiB each, intact"
assert_match "^http ok $N bad 0 " "$res" "$N HTTP connections got the page, intact"
assert_eq $((2 * N)) "$(( $(svc_col d echo tcp 7 accepted) + $(svc_col d http tcp 80 accepted) ))" \
	"the services accepted $((2 * N)) connections"

wait_for 20 test "$(sessions_total d)" = 'total 2: LISTEN 2'
assert_eq 'total 2: LISTEN 2' "$(sessions_total d)" \
	"show sessions: only the two listeners left"
assert_eq 0 "$(svc_col d echo tcp 7 conns)" "echo: no connection left"
assert_eq 0 "$(svc_col d http tcp 80 conns)" "http: no connection left"
wait_for 10 test "$(mbufs_in_use d)" = "$mb0"
assert_eq "$mb0" "$(mbufs_in_use d)" "mbufs in use back to where they started"
assert_match 'worker 0: 2 sockets' "$(ctl d show memory)" "show memory: 2 sockets on the worker"
assert_eq 0 "$(err_counter d tcp_no_sockets)" "no connection refused for want of sockets"

dps_stop d
finish
