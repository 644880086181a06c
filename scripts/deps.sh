#!/usr/bin/env bash
# Install the Debian 12 packages dpstack needs to build and test, and only
# those missing. Non-interactive; runs apt-get update only when something
# is missing. The package list lives here and nowhere else.
set -euo pipefail

# build
PKGS_BUILD="gcc libc6-dev make pkg-config meson ninja-build libdpdk-dev libcmocka-dev"
# run: DPDK's own tools (dpdk-dumpcap, dpdk-telemetry.py, dpdk-devbind.py,
# dpdk-hugepages.py) and PMD plugins
PKGS_RUN="dpdk dpdk-dev python3 procps kmod"
# integration tests and the demo
PKGS_TEST="iproute2 nftables iputils-ping iputils-arping socat netcat-openbsd curl wget python3 tshark wireshark-common"

read -r -a want <<<"$PKGS_BUILD $PKGS_RUN $PKGS_TEST"

missing=()
for p in "${want[@]}"; do
	if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#want[@]} packages installed"
	exit 0
fi

echo "deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: need root to apt-get install: ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
