#!/usr/bin/env bash
# Run every test suite and sum the results:
#   1. the unit suite (ASAN_SUITES) in the sanitizer build ($BUILD_ASAN),
#   2. every suite (unit, integration, and later ones) in the normal build.
# Logs of failing tests are printed. The last line is "N passed, N failed"
# over everything; the exit status is non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

BUILD=${BUILD:-build}
BUILD_ASAN=${BUILD_ASAN:-build-asan}
# Suites to run in $BUILD; empty means all of them.
SUITES=${SUITES:-}
# Suites to run again under ASan+UBSan in $BUILD_ASAN.
ASAN_SUITES=${ASAN_SUITES:-unit sim}

passed=0 failed=0 skipped=0
runs_failed=0

# run_suite DIR [meson test args...]
run_suite() {
	local dir=$1; shift
	local log=$dir/meson-logs/testlog.json
	rm -f "$log"
	echo "=== meson test -C $dir $*"
	meson test -C "$dir" --print-errorlogs "$@"
	local rc=$?
	if [ ! -f "$log" ]; then
		# no test matched: not a failure of its own, but say so
		echo "=== $dir: no tests ran (meson exit $rc)"
		[ $rc -eq 0 ] || runs_failed=$((runs_failed + 1))
		return
	fi
	local counts
	counts=$(python3 - "$log" <<'PY'
import json, sys
p = f = s = 0
for line in open(sys.argv[1]):
    line = line.strip()
    if not line:
        continue
    r = json.loads(line).get("result", "")
    if r in ("OK", "EXPECTEDFAIL"):
        p += 1
    elif r == "SKIP":
        s += 1
    else:                     # FAIL, TIMEOUT, ERROR, UNEXPECTEDPASS
        f += 1
print(p, f, s)
PY
)
	local p f s
	read -r p f s <<<"$counts"
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
	# meson failed without a failing test (e.g. build error): count it
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		runs_failed=$((runs_failed + 1))
	fi
}

asan_args=()
for s in $ASAN_SUITES; do asan_args+=(--suite "$s"); done
if [ -d "$BUILD_ASAN" ]; then
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
		run_suite "$BUILD_ASAN" "${asan_args[@]}"
fi

suite_args=()
for s in $SUITES; do suite_args+=(--suite "$s"); done
run_suite "$BUILD" "${suite_args[@]}"

failed=$((failed + runs_failed))
echo
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
