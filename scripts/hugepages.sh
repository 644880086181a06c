#!/usr/bin/env bash
# Make 2 MiB hugepages usable for DPDK: mount hugetlbfs on /dev/hugepages
# and reserve at least $DPS_HUGEPAGES (default 1024) free pages. Where that
# is impossible (container, no root, no memory) print why and succeed: the
# test harness and the demo then run DPDK with --no-huge.
set -uo pipefail

want=${DPS_HUGEPAGES:-1024}
mnt=/dev/hugepages
nr=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages

note() { echo "hugepages: $*"; }
fallback() { note "$* -- DPDK will run with --no-huge (slower, no dpdk-dumpcap)"; exit 0; }

[ -e "$nr" ] || fallback "kernel has no 2 MiB hugepage support"

if ! grep -qs "^[^ ]* $mnt hugetlbfs " /proc/mounts; then
	mkdir -p "$mnt" 2>/dev/null
	mount -t hugetlbfs -o pagesize=2M nodev "$mnt" 2>/dev/null ||
		fallback "cannot mount hugetlbfs on $mnt"
	note "mounted hugetlbfs on $mnt"
fi

free_pages() { cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages; }

free=$(free_pages)
if [ "$free" -lt "$want" ]; then
	total=$(cat "$nr")
	target=$((total + want - free))
	echo "$target" > "$nr" 2>/dev/null || true
	free=$(free_pages)
	if [ "$free" -lt "$want" ]; then
		# memory may be fragmented: compact once and retry
		echo 1 > /proc/sys/vm/compact_memory 2>/dev/null || true
		echo "$target" > "$nr" 2>/dev/null || true
		free=$(free_pages)
	fi
fi
if [ "$free" -lt "$want" ]; then
	fallback "only $free free 2 MiB pages (wanted $want)"
fi
note "$free free 2 MiB pages of $(cat "$nr") on $mnt"
