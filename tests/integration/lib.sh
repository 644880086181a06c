# shellcheck shell=bash
# Integration test harness, sourced by tests/integration/test_*.sh.
#
# A test makes its own network namespaces (named dpst-<test>-<pid>-<tag>),
# veth pairs and dpstackd instances, checks outcomes with the assert_*
# helpers and ends with `finish`. Everything it made is removed on exit,
# also when it fails or is interrupted.
#
# Environment:
#   BUILD          build directory with dpstackd and dpstackctl (default build)
#   DPS_NO_HUGE=1  run DPDK with --no-huge even if hugepages are available
#   DPS_KEEP=1     keep the temporary directory (logs, sockets, captures)
#   DPS_VERBOSE=1  print every passing check too (default: failures + summary)
#   DPS_NS_PREFIX  first word of the namespace names (default dpst)
#
# Exit status: 0 all checks passed, 1 a check failed, 77 skipped (not root).

set -uo pipefail

DPS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$DPS_ROOT/$BUILD ;; esac
DPSTACKD=$BUILD/dpstackd
DPSTACKCTL=$BUILD/dpstackctl

T_NAME=$(basename "$0" .sh)
T_NAME=${T_NAME#test_}
T_ID=$T_NAME-$$

T_PASS=0
T_FAIL=0
T_NETNS=()               # namespaces to delete
T_BG=()                  # background helper pids to kill
declare -A DPS_PID=()    # daemon name -> pid
declare -A DPS_SOCK=()   # daemon name -> control socket
declare -A DPS_LOG=()    # daemon name -> log file
declare -A DPS_PREFIX=() # daemon name -> EAL file prefix
declare -a DPS_ARGV=()   # command line built by dps_cmdline

# ---------------------------------------------------------------- output

log() { echo "[$T_NAME] $*"; }

pass() {
	T_PASS=$((T_PASS + 1))
	[ "${DPS_VERBOSE:-0}" = 1 ] && echo "  ok   $1"
	return 0
}

fail() {
	T_FAIL=$((T_FAIL + 1))
	echo "  FAIL $1"
	shift
	local l
	for l in "$@"; do printf '       %s\n' "$l"; done
	return 1
}

# fatal MSG: the test cannot go on (set-up failed).
fatal() {
	T_FAIL=$((T_FAIL + 1))
	echo "  FATAL $*"
	exit 1
}

# must CMD...: run a set-up step; the test stops if it fails.
must() {
	local out rc
	out=$("$@" 2>&1)
	rc=$?
	[ $rc -eq 0 ] || fatal "set-up step failed (exit $rc): $*" "$out"
	[ -z "$out" ] || printf '%s\n' "$out"
}

# ---------------------------------------------------------------- asserts

# assert_eq EXPECTED ACTUAL WHAT
assert_eq() {
	if [ "$1" = "$2" ]; then pass "$3"
	else fail "$3" "expected: '$1'" "got:      '$2'"; fi
}

# assert_ne UNEXPECTED ACTUAL WHAT
assert_ne() {
	if [ "$1" != "$2" ]; then pass "$3"
	else fail "$3" "expected anything but '$1'"; fi
}

# assert_match REGEX TEXT WHAT: TEXT has a line matching the extended REGEX.
assert_match() {
	# (a here-string, not a pipe: grep -q may exit before printf is done,
	# and with pipefail printf's SIGPIPE would fail the check)
	if grep -Eq -- "$1" <<<"$2"; then pass "$3"
	else fail "$3" "expected a line matching: $1" "got:" "$(printf '%s\n' "$2" | sed 's/^/  | /' | head -40)"; fi
}

# assert_no_match REGEX TEXT WHAT
assert_no_match() {
	local hit
	hit=$(printf '%s\n' "$2" | grep -E -- "$1" | head -5)
	if [ -z "$hit" ]; then pass "$3"
	else fail "$3" "expected no line matching: $1" "got:" "$(printf '%s\n' "$hit" | sed 's/^/  | /')"; fi
}

# assert_gt A B WHAT: integer A > B
assert_gt() {
	if [[ $1 =~ ^-?[0-9]+$ && $2 =~ ^-?[0-9]+$ ]] && [ "$1" -gt "$2" ]; then pass "$3"
	else fail "$3" "expected '$1' > '$2'"; fi
}

# assert_lt A B WHAT: integer A < B
assert_lt() {
	if [[ $1 =~ ^-?[0-9]+$ && $2 =~ ^-?[0-9]+$ ]] && [ "$1" -lt "$2" ]; then pass "$3"
	else fail "$3" "expected '$1' < '$2'"; fi
}

# assert_ok WHAT CMD...: CMD exits 0. Its output is kept in $OUT.
assert_ok() {
	local what=$1 rc
	shift
	OUT=$("$@" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then pass "$what"
	else fail "$what" "command: $*" "expected exit 0, got $rc; output:" "$(printf '%s\n' "$OUT" | sed 's/^/  | /' | head -40)"; fi
}

# assert_fails WHAT CMD...: CMD exits non-zero. Its output is kept in $OUT.
assert_fails() {
	local what=$1 rc
	shift
	OUT=$("$@" 2>&1)
	rc=$?
	if [ $rc -ne 0 ]; then pass "$what"
	else fail "$what" "command: $*" "expected a non-zero exit, got 0; output:" "$(printf '%s\n' "$OUT" | sed 's/^/  | /' | head -40)"; fi
}

# finish: print the summary; exit 0 only if every check passed.
finish() {
	if [ "$T_FAIL" -eq 0 ] && [ "$T_PASS" -eq 0 ]; then
		fail "the test checked nothing"
	fi
	echo "[$T_NAME] $T_PASS checks passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ] && exit 0
	exit 1
}

# ---------------------------------------------------------------- set-up

if [ "$(id -u)" -ne 0 ]; then
	echo "[$T_NAME] SKIP: integration tests need root (network namespaces, TAP, hugepages)"
	exit 77
fi
for _b in "$DPSTACKD" "$DPSTACKCTL"; do
	[ -x "$_b" ] || { echo "[$T_NAME] FATAL: $_b not built (BUILD=$BUILD)"; exit 1; }
done
unset _b

TMP=$(mktemp -d "/tmp/dpst-$T_NAME.XXXXXX") || { echo "mktemp failed"; exit 1; }

# ns TAG: the full name of this test's namespace TAG (DPS_NS_PREFIX
# replaces "dpst", to tell apart several runs on one machine).
ns() { echo "${DPS_NS_PREFIX:-dpst}-$T_ID-$1"; }

# nsx TAG CMD...: run CMD in namespace TAG.
nsx() {
	local n
	n=$(ns "$1")
	shift
	ip netns exec "$n" "$@"
}

# ns_add TAG...: make namespaces with lo up and IPv6 off (a quiet wire:
# no router solicitations or MLD reports among the packets counted).
ns_add() {
	local t n
	for t in "$@"; do
		n=$(ns "$t")
		ip netns add "$n" || fatal "ip netns add $n"
		T_NETNS+=("$n")
		ip -n "$n" link set lo up
		ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 >/dev/null ||
			fatal "cannot disable IPv6 in $n"
	done
}

# veth_add TAG1 IF1 TAG2 IF2: a veth pair IF1 in TAG1 <-> IF2 in TAG2, both up.
# Names are made inside the namespaces, so short names never collide with
# other tests or the host.
veth_add() {
	ip -n "$(ns "$1")" link add "$2" type veth peer name "$4" netns "$(ns "$3")" ||
		fatal "veth $1/$2 <-> $3/$4"
	ip -n "$(ns "$1")" link set "$2" up
	ip -n "$(ns "$3")" link set "$4" up
}

# bg_track PID: kill PID at exit if still running.
bg_track() { T_BG+=("$1"); }

# have_hugepages: hugetlbfs mounted with enough free 2 MiB pages for one daemon.
have_hugepages() {
	[ "${DPS_NO_HUGE:-0}" = 1 ] && return 1
	grep -qs ' hugetlbfs ' /proc/mounts || return 1
	local f=/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages
	[ -r $f ] && [ "$(cat $f)" -ge 256 ]
}

# dps_cmdline NAME TAG [EAL args...] [-- daemon args...]
# Fill DPS_ARGV with the command line of daemon NAME in namespace TAG:
#   -l 0,1 (main lcore 0, one worker on lcore 1), --no-pci, a unique
#   --file-prefix, --in-memory with hugepages (unless DPS_SHARED=1, for
#   dpdk-dumpcap), else --no-huge -m 512; then the given EAL args, and
#   --ctl $TMP/NAME.sock plus the given daemon args.
dps_cmdline() {
	local name=$1 tag=$2
	shift 2
	local eal=() dargs=() seen_sep=0 a
	for a in "$@"; do
		if [ $seen_sep = 0 ] && [ "$a" = "--" ]; then seen_sep=1; continue; fi
		if [ $seen_sep = 0 ]; then eal+=("$a"); else dargs+=("$a"); fi
	done
	DPS_SOCK[$name]=$TMP/$name.sock
	DPS_LOG[$name]=$TMP/$name.log
	DPS_PREFIX[$name]=dpst-$T_ID-$name
	local mem
	if have_hugepages; then
		if [ "${DPS_SHARED:-0}" = 1 ]; then mem=(); else mem=(--in-memory); fi
	else
		mem=(--no-huge -m 512)
	fi
	DPS_ARGV=(ip netns exec "$(ns "$tag")" "$DPSTACKD" -l 0,1 "${mem[@]}"
		--file-prefix "${DPS_PREFIX[$name]}" --no-pci "${eal[@]}"
		-- --ctl "${DPS_SOCK[$name]}" "${dargs[@]}")
}

# dps_start NAME TAG [EAL args...] [-- daemon args...]
# Start dpstackd NAME in namespace TAG in the background and wait (bounded)
# until its control socket answers `show interfaces`. The test stops, with
# the daemon's log, if it does not come up.
dps_start() {
	local name=$1 i
	dps_cmdline "$@"
	log "start $name: ${DPS_ARGV[*]}"
	"${DPS_ARGV[@]}" >"${DPS_LOG[$name]}" 2>&1 </dev/null &
	DPS_PID[$name]=$!
	for ((i = 0; i < 200; i++)); do
		if ! kill -0 "${DPS_PID[$name]}" 2>/dev/null; then
			wait "${DPS_PID[$name]}"
			local rc=$?
			unset "DPS_PID[$name]"
			fatal "dpstackd $name exited with status $rc during start-up"
		fi
		if "$DPSTACKCTL" -s "${DPS_SOCK[$name]}" show interfaces >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	fatal "dpstackd $name did not answer on ${DPS_SOCK[$name]} within 20 s"
}

dps_dump_log() {
	local f=${DPS_LOG[$1]:-}
	[ -n "$f" ] && [ -f "$f" ] || return 0
	echo "----- log of dpstackd $1 ($f) -----"
	tail -n 60 "$f"
	echo "----- end of log -----"
}

# ctl NAME COMMAND...: dpstackctl against daemon NAME.
ctl() {
	local name=$1
	shift
	"$DPSTACKCTL" -s "${DPS_SOCK[$name]}" "$@"
}

# ctl_must NAME COMMAND...: a configuration step that must succeed.
ctl_must() {
	local out rc
	out=$(ctl "$@" 2>&1)
	rc=$?
	[ $rc -eq 0 ] || fatal "dpstackctl $* failed (exit $rc): $out"
}

# _proc_gone PID: the process has exited (gone or a zombie).
_proc_gone() {
	local s
	[ -r "/proc/$1/stat" ] || return 0
	s=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -z "$s" ] || [ "$s" = Z ] || [ "$s" = X ]
}

# dps_stop NAME: SIGTERM; the daemon must exit 0 within 10 s and remove
# its control socket.
dps_stop() {
	local name=$1 pid=${DPS_PID[$1]:-} i rc
	[ -n "$pid" ] || { fail "dps_stop $name: not running"; return 1; }
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		_proc_gone "$pid" && break
		sleep 0.1
	done
	if ! _proc_gone "$pid"; then
		fail "dpstackd $name did not exit within 10 s of SIGTERM"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid"
	rc=$?
	unset "DPS_PID[$name]"
	assert_eq 0 "$rc" "dpstackd $name exits 0 on SIGTERM" || dps_dump_log "$name"
	if [ -e "${DPS_SOCK[$name]}" ]; then
		fail "dpstackd $name removed its control socket ${DPS_SOCK[$name]}"
	else
		pass "dpstackd $name removed its control socket"
	fi
	rm -rf "/var/run/dpdk/${DPS_PREFIX[$name]}"
}

# dps_running NAME: the daemon process is alive.
dps_running() {
	local pid=${DPS_PID[$1]:-}
	[ -n "$pid" ] && ! _proc_gone "$pid"
}

# Runs on every exit. The quick, important steps come first: on a timeout
# meson sends SIGTERM to the whole process group and SIGKILL half a second
# later, so namespaces are deleted before anything waits. (A deleted
# namespace lives on until the daemons inside it exit.)
_cleanup() {
	local rc=$? name pid i n
	trap - EXIT INT TERM
	for pid in "${T_BG[@]}" "${DPS_PID[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for n in "${T_NETNS[@]}"; do
		ip netns del "$n" 2>/dev/null
	done
	if [ "${T_INTERRUPTED:-0}" = 0 ]; then
		for name in "${!DPS_PID[@]}"; do
			pid=${DPS_PID[$name]}
			for ((i = 0; i < 50; i++)); do
				_proc_gone "$pid" && break
				sleep 0.1
			done
			_proc_gone "$pid" || kill -KILL "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
		done
		if [ $rc -ne 0 ] || [ "$T_FAIL" -ne 0 ]; then
			for name in "${!DPS_LOG[@]}"; do dps_dump_log "$name"; done
		fi
	fi
	for name in "${!DPS_PREFIX[@]}"; do
		rm -rf "/var/run/dpdk/${DPS_PREFIX[$name]}"
	done
	if [ "${DPS_KEEP:-0}" = 1 ]; then
		echo "[$T_NAME] kept $TMP"
	else
		rm -rf "$TMP"
	fi
	exit $rc
}
trap _cleanup EXIT
trap 'T_INTERRUPTED=1; echo "[$T_NAME] interrupted"; exit 130' INT TERM

# ---------------------------------------------------------------- helpers

# ping_out TAG ARGS...: run ping in namespace TAG, output in $OUT, status returned.
ping_out() {
	local tag=$1
	shift
	OUT=$(nsx "$tag" ping "$@" 2>&1)
}

# ping_loss TEXT: the packet loss percentage ping reported ("" if none).
ping_loss() {
	printf '%s\n' "$1" | sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' | head -1
}

# ping_received TEXT: replies ping counted.
ping_received() {
	printf '%s\n' "$1" | sed -n 's/.*transmitted, \([0-9]*\) received.*/\1/p' | head -1
}

# if_counter NAME IF rx|tx packets|bytes|drops: one counter of an interface,
# from its `show interfaces IF` line "  rx 12 packets, 1500 bytes, 0 drops".
if_counter() {
	ctl "$1" show interfaces "$2" 2>/dev/null | awk -v d="$3" -v k="$4" '
		$1 == d { for (i = 2; i < NF; i++) { f = $(i + 1); sub(/,$/, "", f)
			if (f == k) { print $i; exit } } }'
}

# if_mac NAME IF: the MAC `show interfaces IF` prints, lower case.
if_mac() {
	ctl "$1" show interfaces "$2" 2>/dev/null |
		grep -oiE '([0-9a-f]{2}:){5}[0-9a-f]{2}' | head -1 | tr A-F a-f
}

# err_counter NAME REGEX: the count on the `show errors` line matching
# REGEX (case-insensitive), 0 when there is none (only non-zero counters
# are listed).
err_counter() {
	local n
	n=$(ctl "$1" show errors 2>/dev/null | grep -iE -- "$2" | head -1 | awk '{ print $1 }')
	[[ $n =~ ^[0-9]+$ ]] || n=0
	echo "$n"
}

# mac_of TAG IF: MAC address of a Linux interface.
mac_of() {
	nsx "$1" cat "/sys/class/net/$2/address"
}

# wait_for SECONDS CMD...: retry CMD every 0.1 s until it succeeds.
wait_for() {
	local t=$1 i
	shift
	for ((i = 0; i < t * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
