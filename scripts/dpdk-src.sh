#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# Builds one DPDK release from a source tarball with only what our tests
# need, installs it into a cache, and prints the environment that selects it.
#
# Usage: scripts/dpdk-src.sh VERSION        e.g. 23.11, 24.11.6 or 25.11
#        eval "$(scripts/dpdk-src.sh 23.11)"
#
# The tarball is dpdk-VERSION*.tar.xz in DPDK_MANA_DPDK_TARBALL_DIR (default:
# ../shared/dpdk relative to the project's root). The install goes to
# $DPDK_MANA_CACHE/dpdk/SERIES (default ~/.cache/dpdk-mana/dpdk/SERIES), with a
# stamp file naming the tarball and its options: a second run with the same
# tarball only prints the environment. The install also holds the driver-SDK
# headers DPDK installs since 23.11 and a copy of pmdinfogen.py.
# Progress and timings go to stderr; stdout is only the environment lines.

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)

log() { printf 'dpdk-src: %s\n' "$*" >&2; }
die() { printf 'dpdk-src: error: %s\n' "$*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 VERSION (e.g. 23.11 or 25.11.2)"
want=$1
series=$(echo "$want" | cut -d. -f1-2)
[[ $series =~ ^[0-9]+\.[0-9]+$ ]] || die "'$want' is not a DPDK version like 23.11"

tarball_dir=${DPDK_MANA_DPDK_TARBALL_DIR:-$root/../shared/dpdk}
cache=${DPDK_MANA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dpdk-mana}
prefix=$cache/dpdk/$series

tarball=$(ls "$tarball_dir"/dpdk-"$want"*.tar.xz 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$tarball" ] && [ -f "$tarball" ] ||
	die "no dpdk-$want*.tar.xz in $tarball_dir (set DPDK_MANA_DPDK_TARBALL_DIR)"

# Only what the tests use: testpmd's peers and failsafe, testpmd, proc-info, pdump.
drivers=bus/pci,bus/vdev,mempool/ring,net/null,net/ring,net/tap,net/pcap,net/af_packet,net/failsafe
libs=pdump,pcapng,bpf,security,cryptodev,eventdev,timer,dmadev,metrics,bitratestats,latencystats,gro,gso
apps=test-pmd,proc-info,pdump
opts=(
	--buildtype=release -Dplatform=generic -Ddefault_library=shared
	-Denable_drivers=$drivers -Denable_libs=$libs -Denable_apps=$apps
	-Denable_driver_sdk=true -Dtests=false -Denable_docs=false -Dexamples=
)
# enable_kmods is gone in 25.11 (no kernel modules are built there)
tar -xOf "$tarball" --wildcards '*/meson_options.txt' | grep -q "option('enable_kmods'" &&
	opts+=(-Denable_kmods=false)
stamp="$(basename "$tarball") ${opts[*]}"

print_env() {
	local libdir pc
	pc=$(dirname "$(find "$prefix" -name libdpdk.pc -print -quit)")
	libdir=$(dirname "$pc")
	echo "export PKG_CONFIG_PATH=$pc"
	echo "export LD_LIBRARY_PATH=$libdir"
	echo "export PATH=$prefix/bin:\$PATH"
	echo "export DPDK_MANA_DPDK_PREFIX=$prefix"
}

# The driver-SDK cache our meson.build reads (scripts/sdk-path.sh names it
# after pkg-config's version), filled by setup.sh from the same tarball: it
# also holds pmdinfogen and the witness sources of that release.
ensure_sdk() {
	local pc sdk
	pc=$(dirname "$(find "$prefix" -name libdpdk.pc -print -quit)")
	sdk=$(PKG_CONFIG_PATH=$pc "$here/sdk-path.sh")
	[ -f "$sdk/VERSION" ] && [ -f "$sdk/include/ethdev_driver.h" ] && return 0
	PKG_CONFIG_PATH=$pc DPDK_MANA_NO_APT=1 DPDK_MANA_DPDK_SRC=$tarball "$here/setup.sh" ||
		die "could not fill the SDK cache $sdk"
}

if [ -f "$prefix/.stamp" ] && [ "$(cat "$prefix/.stamp")" = "$stamp" ]; then
	log "DPDK $series cached in $prefix"
	ensure_sdk
	print_env
	exit 0
fi

command -v meson >/dev/null && command -v ninja >/dev/null || die "meson and ninja are needed"
/usr/bin/python3 -c 'import elftools' 2>/dev/null || die "python3-pyelftools is needed"

work=$(mktemp -d "${TMPDIR:-/tmp}/dpdk-src.XXXXXX")
trap 'rm -rf "$work"' EXIT

t0=$(date +%s)
tar -xf "$tarball" -C "$work"
src=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -n 1)
t1=$(date +%s)
log "extracted $(basename "$tarball") in $((t1 - t0)) s"

jobs=${DPDK_MANA_JOBS:-$(nproc)}
rm -rf "$prefix"
nice meson setup "$work/build" "$src" --prefix="$prefix" --libdir=lib "${opts[@]}" \
	> "$work/setup.log" 2>&1 || { tail -n 30 "$work/setup.log" >&2; die "meson setup of DPDK $want failed"; }
t2=$(date +%s)
log "configured in $((t2 - t1)) s"
nice ninja -C "$work/build" -j "$jobs" > "$work/build.log" 2>&1 ||
	{ tail -n 30 "$work/build.log" >&2; die "building DPDK $want failed"; }
t3=$(date +%s)
log "built in $((t3 - t2)) s ($jobs jobs)"
meson install -C "$work/build" --quiet > "$work/install.log" 2>&1 ||
	{ tail -n 30 "$work/install.log" >&2; die "installing DPDK $want failed"; }
mkdir -p "$prefix/share/dpdk-mana/buildtools"
cp "$src/buildtools/pmdinfogen.py" "$src/buildtools/coff.py" "$prefix/share/dpdk-mana/buildtools/"
cp "$src/VERSION" "$prefix/share/dpdk-mana/VERSION"
echo "$stamp" > "$prefix/.stamp"
ensure_sdk
t4=$(date +%s)
log "installed in $((t4 - t3)) s; DPDK $(cat "$src/VERSION") in $prefix, $((t4 - t0)) s in all"
print_env
