# shellcheck shell=bash
# Helpers of the sample-app tests (test_app_*.sh), sourced after lib.sh and
# lib_svc.sh: a dpstackd with an API socket on a TAP port, the apps of
# build/apps (dps-echo, dps-httpd, dps-perf over libdpsock; their -kernel
# builds serve as the Linux side), started in the background and stopped
# with their exit status checked.

APPS=$BUILD/apps
for _a in dps-echo dps-httpd dps-perf dps-echo-kernel dps-perf-kernel; do
	[ -x "$APPS/$_a" ] || fatal "$APPS/$_a not built (is lib/dpsock in the build?)"
done
unset _a

declare -A APP_PID=()  # app name -> pid
declare -A APP_LOG=()  # app name -> its output

# app_daemon NAME TAG TAP NET: svc_daemon (see lib_svc.sh) with the API
# socket at $TMP/NAME-api.sock, which becomes $DPSTACK_API for the apps.
app_daemon() {
	local name=$1
	API=$TMP/$name-api.sock
	svc_daemon "$@" -- --api "$API"
	[ -S "$API" ] || fatal "dpstackd $name has no API socket at $API"
	export DPSTACK_API=$API
}

# app_start NAME READY TAG CMD...: run CMD (an app over libdpsock) in
# namespace TAG in the background, output in $TMP/NAME.out, and wait up to
# 10 s for a line matching READY (if READY is not empty). The test stops
# if it exits first.
app_start() {
	local name=$1 ready=$2 tag=$3 i pid
	shift 3
	APP_LOG[$name]=$TMP/$name.out
	# not through nsx: a function in the background is a subshell, and $!
	# would be its pid, not the app's
	ip netns exec "$(ns "$tag")" "$@" >"${APP_LOG[$name]}" 2>&1 </dev/null &
	pid=$!
	APP_PID[$name]=$pid
	bg_track "$pid"
	[ -n "$ready" ] || return 0
	for ((i = 0; i < 100; i++)); do
		grep -Eqs -- "$ready" "${APP_LOG[$name]}" && return 0
		if _proc_gone "$pid"; then
			wait "$pid"
			fatal "app $name exited ($?) before it was ready:" "$(cat "${APP_LOG[$name]}")"
		fi
		sleep 0.1
	done
	fatal "app $name not ready within 10 s:" "$(cat "${APP_LOG[$name]}")"
}

# app_stop NAME: SIGTERM; the app must exit 0 within 5 s.
app_stop() {
	local name=$1 pid=${APP_PID[$1]} i rc
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		_proc_gone "$pid" && break
		sleep 0.1
	done
	_proc_gone "$pid" || { fail "app $name did not exit within 5 s of SIGTERM"; kill -KILL "$pid"; }
	wait "$pid"
	rc=$?
	assert_eq 0 "$rc" "app $name exits 0 on SIGTERM" ||
		printf '  | %s\n' "$(tail -n 20 "${APP_LOG[$name]}")"
	unset "APP_PID[$name]"
}

# app_kill NAME: SIGKILL, and reap it.
app_kill() {
	local pid=${APP_PID[$1]}
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	unset "APP_PID[$1]"
}

# apps_line NAME: the summary line of show apps ("apps 1 attached, 0 closing; ...").
apps_line() {
	ctl "$1" show apps 2>/dev/null | grep '^apps '
}

# apps_gone NAME: show apps lists no application (attached or closing).
apps_gone() {
	apps_line "$1" | grep -q '^apps 0 attached, 0 closing'
}
