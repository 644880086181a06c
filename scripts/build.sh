#!/usr/bin/env bash
# scripts/build.sh DIR [meson options...]: configure DIR once (again if the
# configuration is missing or broken), then build it with ninja.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=$1; shift
if [ ! -f "$dir/build.ninja" ] || [ ! -f "$dir/meson-private/coredata.dat" ]; then
	if [ -e "$dir" ]; then
		meson setup --wipe "$dir" "$@"
	else
		meson setup "$dir" "$@"
	fi
elif [ $# -gt 0 ]; then
	# options given: make sure the existing directory has them
	meson configure "$dir" "$@"
fi
ninja -C "$dir"
