#!/usr/bin/env bash
# `make run`: start dpstackd on a TAP port inside network namespace
# dps-demo with the built-in HTTP, echo and discard services, give the
# Linux side of the TAP an address, start dps-httpd (an application over
# libdpsock) on port 8080 with the same pages, show that dpstack answers
# ping, ARP and curl on both, and say how to talk to it. `make stop` (this
# script with "stop") ends it. Builds nothing: the Makefile does that first.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
NS=dps-demo
TAP=dps-demo0
RUN=/run/dpstack
SOCK=$RUN/ctl.sock
API=$RUN/api.sock
PIDFILE=$RUN/demo.pid
APP_PIDFILE=$RUN/demo-httpd.pid
APP_LOG=$RUN/demo-httpd.log
APP_PORT=8080
LOG=$RUN/demo.log
CONF=$RUN/demo-startup.conf
PREFIX=dps-demo
DPS_IP=192.168.150.2
LINUX_IP=192.168.150.1

# Show a command, then run it.
show() {
	echo
	echo "\$ $*"
	"$@"
}

stop() {
	local pid i
	# the app first: it would only see its daemon go away
	if [ -f "$APP_PIDFILE" ]; then
		pid=$(cat "$APP_PIDFILE")
		if kill -0 "$pid" 2>/dev/null && grep -q dps-httpd "/proc/$pid/comm" 2>/dev/null; then
			kill -TERM "$pid"
			for ((i = 0; i < 50; i++)); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.1
			done
			kill -KILL "$pid" 2>/dev/null || true
			echo "stopped dps-httpd (pid $pid)"
		fi
		rm -f "$APP_PIDFILE"
	fi
	if [ -f "$PIDFILE" ]; then
		pid=$(cat "$PIDFILE")
		if kill -0 "$pid" 2>/dev/null && grep -q dpstackd "/proc/$pid/comm" 2>/dev/null; then
			kill -TERM "$pid"
			for ((i = 0; i < 100; i++)); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.1
			done
			if kill -0 "$pid" 2>/dev/null; then
				echo "dpstackd (pid $pid) ignored SIGTERM for 10 s; killing it"
				kill -KILL "$pid" 2>/dev/null || true
			fi
			echo "stopped dpstackd (pid $pid)"
		fi
		rm -f "$PIDFILE"
	fi
	if ip netns list | grep -w "^$NS" >/dev/null; then
		ip netns del "$NS"
		echo "deleted network namespace $NS"
	fi
	rm -rf "/var/run/dpdk/$PREFIX" "$RUN/www"
}

if [ "${1:-}" = stop ]; then
	stop
	exit 0
fi
if [ $# -gt 0 ]; then
	echo "usage: $0 [stop]" >&2
	exit 2
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "make run needs root (network namespaces, TAP, hugepages)" >&2
	exit 1
fi
for b in "$BUILD/dpstackd" "$BUILD/dpstackctl" "$BUILD/apps/dps-httpd"; do
	[ -x "$b" ] || { echo "$b is missing: run 'make build' first" >&2; exit 1; }
done

# A previous demo is replaced, not doubled.
stop >/dev/null

# Hugepages with a shared EAL configuration (so dpdk-dumpcap can attach),
# else plain memory.
free=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0)
if grep -qs ' hugetlbfs ' /proc/mounts && [ "$free" -ge 256 ]; then
	MEM=(--file-prefix "$PREFIX")
	HUGE=1
else
	MEM=(--no-huge -m 512 --file-prefix "$PREFIX")
	HUGE=0
fi

mkdir -p "$RUN"
# The pages the built-in HTTP service serves (read into memory at start).
WWW=$RUN/www
rm -rf "$WWW"
mkdir -p "$WWW/docs"
cp README.md "$WWW/README.md"
cp docs/*.md "$WWW/docs/"
head -c $((10 << 20)) /dev/urandom >"$WWW/10MiB.bin"
cat >"$WWW/index.html" <<EOF
<!doctype html>
<html><head><meta charset="utf-8"><title>dpstack demo</title></head>
<body>
<h1>Served by dpstack</h1>
<p>This page comes from the built-in HTTP service of dpstackd
(<code>service start http port 80 root $WWW</code>), over dpstack's own
TCP on DPDK port net_tap0 ($DPS_IP), started $(date -u '+%Y-%m-%d %H:%M UTC').</p>
<ul>
<li><a href="/README.md">README.md</a></li>
<li><a href="/docs/architecture.md">docs/architecture.md</a></li>
<li><a href="/10MiB.bin">10MiB.bin</a> (random bytes, for a speed test)</li>
</ul>
<p>Also running: echo (TCP and UDP port 7) and discard (TCP port 9), and on
port $APP_PORT the same pages from <code>dps-httpd</code>, a separate
application process attached to dpstackd through libdpsock
(<code>DPSTACK_API=$API $BUILD/apps/dps-httpd --root $WWW --port $APP_PORT</code>).</p>
</body></html>
EOF
cat >"$CONF" <<EOF
# startup.conf of the make-run demo: the same commands dpstackctl takes
set interface ip address net_tap0 $DPS_IP/24
set interface state net_tap0 up
service start http port 80 root $WWW
service start echo port 7
service start echo udp port 7
service start discard port 9
EOF

ip netns add "$NS"
ip -n "$NS" link set lo up
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1

DAEMON=("$BUILD/dpstackd" -l 0,1 "${MEM[@]}" --no-pci --vdev "net_tap0,iface=$TAP"
	-- -c "$CONF" --ctl "$SOCK" --api "$API")
echo "starting: ip netns exec $NS ${DAEMON[*]}"
# setsid + nohup: the daemon outlives make and this shell.
setsid nohup ip netns exec "$NS" "${DAEMON[@]}" >"$LOG" 2>&1 </dev/null &
echo $! >"$PIDFILE"

CTL=("$BUILD/dpstackctl" -s "$SOCK")
up=0
for ((i = 0; i < 200; i++)); do
	if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
		break
	fi
	if "${CTL[@]}" show interfaces >/dev/null 2>&1; then
		up=1
		break
	fi
	sleep 0.1
done
if [ $up = 0 ]; then
	echo "dpstackd did not come up; its log ($LOG):" >&2
	tail -n 40 "$LOG" >&2
	stop >/dev/null
	exit 1
fi

# The TAP PMD gives the kernel side the port's own MAC; give Linux its own
# so that ARP tables and captures tell the two ends apart.
ip -n "$NS" link set "$TAP" address 02:00:00:96:00:01
ip -n "$NS" addr add "$LINUX_IP/24" dev "$TAP"
ip -n "$NS" link set "$TAP" up

echo
echo "dpstackd runs (pid $(cat "$PIDFILE")) in network namespace $NS on TAP port net_tap0."
echo "Linux side: $TAP $LINUX_IP/24 <-> dpstack: net_tap0 $DPS_IP/24"

# An application over dpstack: dps-httpd attaches to dpstackd through its
# API socket and serves the same pages on port $APP_PORT.
APP=("$BUILD/apps/dps-httpd" --root "$WWW" --port "$APP_PORT")
echo "starting: DPSTACK_API=$API ${APP[*]}"
DPSTACK_API=$API setsid nohup "${APP[@]}" >"$APP_LOG" 2>&1 </dev/null &
echo $! >"$APP_PIDFILE"
app_up=0
for ((i = 0; i < 50; i++)); do
	if grep -q '^dps-httpd: serving' "$APP_LOG" 2>/dev/null; then
		app_up=1
		break
	fi
	kill -0 "$(cat "$APP_PIDFILE")" 2>/dev/null || break
	sleep 0.1
done
if [ $app_up = 0 ]; then
	echo "dps-httpd did not start; its log ($APP_LOG):" >&2
	cat "$APP_LOG" >&2
fi

ok=1
show ip netns exec "$NS" ping -c 3 -i 0.2 "$DPS_IP" || ok=0
show ip netns exec "$NS" arping -c 2 -I "$TAP" "$DPS_IP" || ok=0
show "${CTL[@]}" show interfaces || ok=0
show "${CTL[@]}" show ip arp || ok=0
show ip netns exec "$NS" curl -sS --max-time 10 "http://$DPS_IP/" || ok=0
show ip netns exec "$NS" curl -sS --max-time 30 -o /dev/null \
	-w '10 MiB in %{time_total} s (%{speed_download} bytes/s)\n' "http://$DPS_IP/10MiB.bin" || ok=0
show "${CTL[@]}" show services || ok=0
[ $app_up = 1 ] || ok=0
show ip netns exec "$NS" curl -sS --max-time 10 -o /dev/null \
	-w 'dps-httpd: %{http_code}, %{size_download} bytes of index.html\n' "http://$DPS_IP:$APP_PORT/" || ok=0
show ip netns exec "$NS" curl -sS --max-time 30 -o /dev/null \
	-w 'dps-httpd: 10 MiB in %{time_total} s (%{speed_download} bytes/s)\n' \
	"http://$DPS_IP:$APP_PORT/10MiB.bin" || ok=0
show "${CTL[@]}" show apps || ok=0
show "${CTL[@]}" show sessions || ok=0

REL_BUILD=${BUILD#"$ROOT"/}
cat <<EOF

----------------------------------------------------------------------
dpstack demo is running.
  daemon       ${DAEMON[*]}
               (in network namespace $NS, log $LOG, startup file $CONF)
  control      $REL_BUILD/dpstackctl <command>   (socket $SOCK, the default)
  app          DPSTACK_API=$API $REL_BUILD/apps/dps-httpd --root $WWW --port $APP_PORT
               (pid $(cat "$APP_PIDFILE"), log $APP_LOG)

Talk to it:
  ip netns exec $NS ping $DPS_IP
  ip netns exec $NS arping -I $TAP $DPS_IP
  ip netns exec $NS curl http://$DPS_IP/
  ip netns exec $NS curl -o /dev/null http://$DPS_IP/10MiB.bin
  ip netns exec $NS curl http://$DPS_IP:$APP_PORT/          (dps-httpd over libdpsock)
  echo hello | ip netns exec $NS nc -N $DPS_IP 7
  $REL_BUILD/dpstackctl show services
  $REL_BUILD/dpstackctl show apps
  $REL_BUILD/dpstackctl show sessions
  $REL_BUILD/dpstackctl show tcp stats
  $REL_BUILD/dpstackctl show interfaces
  $REL_BUILD/dpstackctl show errors
  $REL_BUILD/dpstackctl show ip arp
  $REL_BUILD/dpstackctl show ip fib
  $REL_BUILD/dpstackctl pcap start net_tap0 /tmp/demo.pcapng max 100
  $REL_BUILD/dpstackctl pcap stop
  $REL_BUILD/dpstackctl help
EOF
if [ $HUGE = 1 ]; then
	cat <<EOF
  dpdk-dumpcap --file-prefix=$PREFIX -i net_tap0 -c 10 -w /tmp/dump.pcapng
  dpdk-telemetry.py -f $PREFIX        (then /dpstack/interfaces, /dpstack/errors)
EOF
fi
cat <<EOF
Stop it:
  make stop
----------------------------------------------------------------------
EOF
if [ $ok = 0 ]; then
	echo "some demo step failed: see above and $LOG" >&2
	exit 1
fi
