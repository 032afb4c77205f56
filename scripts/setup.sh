#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# Sets up a Debian 12 or 13 (or Ubuntu) machine to build and test dpdk-mana: Debian packages,
# then the DPDK driver-SDK headers matching the installed libdpdk-dev, taken
# from Debian's dpdk source package into a cache outside the source tree,
# with that package's drivers/net/mana (Microsoft's upstream driver, built
# only at test time by the `witness` suite, never part of our sources).
# Safe to run any number of times; fast when everything is in place.
#
# Environment overrides:
#   DPDK_MANA_DPDK_SRC   a DPDK source tree or tarball to take the headers from
#                        instead of Debian's source package
#   DPDK_MANA_CACHE      cache directory (default ${XDG_CACHE_HOME:-$HOME/.cache}/dpdk-mana)
#   DPDK_MANA_NO_APT=1   skip package installation (headers only)
#
# `setup.sh --print-packages` prints the Debian packages it installs and exits.

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

log() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

PACKAGES=(
	dpdk dpdk-dev libdpdk-dev dpdk-doc
	rdma-core libibverbs-dev ibverbs-providers
	meson ninja-build pkg-config gcc make python3 python3-pyelftools
	iproute2 ethtool xz-utils valgrind openvswitch-switch-dpdk
	# scripts/rdma-core.sh builds rdma-core with these; the build-rdma-core test uses strace
	cmake libnl-3-dev libnl-route-3-dev strace
)

# `setup.sh --print-packages`: the list, one a line (scripts/debian-root.sh
# installs the same in its roots).
if [ "${1:-}" = --print-packages ]; then
	printf '%s\n' "${PACKAGES[@]}"
	exit 0
fi

SUDO=
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || die "not root and no sudo: run as root"
	SUDO=sudo
fi


install_packages() {
	[ "${DPDK_MANA_NO_APT:-0}" = 1 ] && return 0
	local missing=() p
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -q >/dev/null
	$SUDO apt-get install -y -q "${missing[@]}" >/dev/null
}

# Add deb-src entries mirroring the configured deb entries of this release
# (same URIs, components and keyring; only the suites named after
# VERSION_CODENAME in /etc/os-release, so third-party repositories are left
# out on Debian and Ubuntu alike), unless some deb-src entry exists already.
ensure_deb_src() {
	local f=/etc/apt/sources.list.d/dpdk-mana-deb-src.sources lists=() codename
	shopt -s nullglob
	lists=(/etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources)
	shopt -u nullglob
	if [ ${#lists[@]} -gt 0 ] && grep -qsE '^(Types:.*deb-src|deb-src )' "${lists[@]}"; then
		return 0
	fi
	local id codename entries
	id=$(. /etc/os-release 2>/dev/null && echo "${ID:-} ${ID_LIKE:-}")
	codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
	case " $id " in
	*" debian "* | *" ubuntu "*) ;;
	*) die "not Debian or Ubuntu (/etc/os-release ID: ${id% }): set DPDK_MANA_DPDK_SRC to a DPDK source tarball" ;;
	esac
	[ -n "$codename" ] ||
		die "no VERSION_CODENAME in /etc/os-release: add deb-src entries yourself, or set DPDK_MANA_DPDK_SRC"
	entries=$(python3 - "$f" "$codename" <<'PY'
import glob, os, re, sys
target, codename = sys.argv[1], sys.argv[2]
def ours(suite):
    return suite == codename or suite.startswith(codename + '-') or suite.startswith(codename + '/')
out = []
# deb822 files
for path in sorted(glob.glob('/etc/apt/sources.list.d/*.sources')):
    if path == target:
        continue
    for stanza in re.split(r'\n\s*\n', open(path).read()):
        fields = {}
        for line in stanza.splitlines():
            if line.startswith('#') or ':' not in line or line[0].isspace():
                continue
            k, v = line.split(':', 1)
            fields[k.strip()] = v.strip()
        if 'deb' not in fields.get('Types', '').split():
            continue
        if fields.get('Enabled', 'yes').lower() == 'no':
            continue
        suites = [x for x in fields.get('Suites', '').split() if ours(x)]
        if not suites:
            continue
        s = ['Types: deb-src', 'Suites: ' + ' '.join(suites)]
        for k in ('URIs', 'Components', 'Signed-By'):
            if k in fields:
                s.append('%s: %s' % (k, fields[k]))
        out.append('\n'.join(s))
# one-line files: deb [options] URI SUITE COMPONENTS...
for path in ['/etc/apt/sources.list'] + sorted(glob.glob('/etc/apt/sources.list.d/*.list')):
    if not os.path.isfile(path):
        continue
    for line in open(path):
        w = line.split('#', 1)[0].split()
        if len(w) < 3 or w[0] != 'deb':
            continue
        opts = {}
        if w[1].startswith('['):
            j = next(i for i, x in enumerate(w) if x.endswith(']'))
            for o in ' '.join(w[1:j + 1]).strip('[] ').split():
                if '=' in o:
                    k, v = o.split('=', 1)
                    opts[k] = v
            w = [w[0]] + w[j + 1:]
        if len(w) < 3 or not ours(w[2]):
            continue
        s = ['Types: deb-src', 'URIs: ' + w[1], 'Suites: ' + w[2]]
        if len(w) > 3:
            s.append('Components: ' + ' '.join(w[3:]))
        if 'signed-by' in opts:
            s.append('Signed-By: ' + opts['signed-by'])
        out.append('\n'.join(s))
if not out:
    sys.exit('setup: error: no deb entry for %s in /etc/apt: add deb-src entries yourself, '
             'or set DPDK_MANA_DPDK_SRC' % codename)
print('\n\n'.join(out))
PY
) || exit 1
	log "adding deb-src entries for the configured $codename suites ($f)"
	printf '%s\n' "$entries" | $SUDO tee "$f" >/dev/null
	$SUDO apt-get update -q >/dev/null
}

# Headers a driver needs that libdpdk-dev does not install (path in the DPDK tree).
SDK_FILES=(
	lib/ethdev/ethdev_driver.h
	lib/ethdev/ethdev_pci.h
	lib/ethdev/ethdev_vdev.h
	lib/eal/include/dev_driver.h
	lib/eal/include/bus_driver.h
	lib/eal/include/rte_eal_paging.h
	drivers/bus/pci/bus_pci_driver.h
	drivers/bus/vdev/bus_vdev_driver.h
	buildtools/pmdinfogen.py
	buildtools/coff.py
)

# Microsoft's upstream net/mana in the same source, for the witness suite.
WITNESS_DIR=drivers/net/mana

sdk_complete() {
	local f
	[ -f "$1/witness/SOURCE" ] || return 1
	for f in "${SDK_FILES[@]}"; do
		case $f in
		buildtools/*) [ -f "$1/buildtools/$(basename "$f")" ] || return 1 ;;
		*) [ -f "$1/include/$(basename "$f")" ] || return 1 ;;
		esac
	done
}

fetch_sdk() {
	local version dir tmp src top f
	version=$(dpkg-query -W -f='${Version}' libdpdk-dev 2>/dev/null) ||
		die "libdpdk-dev is not installed"
	dir=$("$here/sdk-path.sh")
	if [ -z "${DPDK_MANA_DPDK_SRC:-}" ] && [ -f "$dir/VERSION" ] &&
	   [ "$(cat "$dir/VERSION.deb" 2>/dev/null)" = "$version" ] && sdk_complete "$dir"; then
		return 0
	fi
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' RETURN
	if [ -n "${DPDK_MANA_DPDK_SRC:-}" ]; then
		src=$DPDK_MANA_DPDK_SRC
		log "taking SDK headers from $src"
	else
		ensure_deb_src
		log "downloading Debian's dpdk source package $version"
		(cd "$tmp" && apt-get source --download-only -q "dpdk=$version" >/dev/null 2>&1) ||
			(cd "$tmp" && $SUDO apt-get source --download-only -q "dpdk=$version" >/dev/null) ||
			die "could not download dpdk=$version source (check deb-src entries)"
		src=$(ls "$tmp"/dpdk_*.orig.tar.* | head -n 1)
		[ -f "$src" ] || die "no orig tarball for dpdk=$version"
	fi
	mkdir -p "$tmp/x"
	if [ -d "$src" ]; then
		for f in "${SDK_FILES[@]}"; do
			[ -f "$src/$f" ] || die "$src has no $f: not a DPDK source tree"
			mkdir -p "$tmp/x/$(dirname "$f")"
			cp "$src/$f" "$tmp/x/$f"
		done
		if [ -d "$src/$WITNESS_DIR" ]; then
			mkdir -p "$tmp/x/$WITNESS_DIR"
			cp "$src/$WITNESS_DIR"/* "$tmp/x/$WITNESS_DIR/"
		fi
		top=$tmp/x
	else
		local pats=()
		for f in "${SDK_FILES[@]}"; do pats+=("*/$f"); done
		tar -xf "$src" -C "$tmp/x" --wildcards "${pats[@]}" ||
			die "$src does not contain the DPDK SDK headers"
		tar -xf "$src" -C "$tmp/x" --wildcards "*/$WITNESS_DIR/*" 2>/dev/null || true
		top=$(find "$tmp/x" -mindepth 1 -maxdepth 1 -type d | head -n 1)
	fi
	# the source's own version, e.g. 22.11.11
	local srcver
	srcver=$(tar -xOf "$src" --wildcards '*/VERSION' 2>/dev/null | head -n 1 || true)
	[ -n "$srcver" ] || srcver=$(cat "$src/VERSION" 2>/dev/null || true)
	[ -n "$srcver" ] || srcver=${version%%-*}
	rm -rf "$dir.new"
	mkdir -p "$dir.new/include" "$dir.new/buildtools"
	for f in "${SDK_FILES[@]}"; do
		case $f in
		buildtools/*) cp "$top/$f" "$dir.new/buildtools/" ;;
		*) cp "$top/$f" "$dir.new/include/" ;;
		esac
	done
	mkdir -p "$dir.new/witness"
	if [ -d "$top/$WITNESS_DIR" ]; then
		mkdir -p "$dir.new/witness/$WITNESS_DIR"
		cp "$top/$WITNESS_DIR"/* "$dir.new/witness/$WITNESS_DIR/"
		# Debian's patches of dpdk 22.11 do not touch it: the orig tarball's copy is the package's
		echo "$srcver ${DPDK_MANA_DPDK_SRC:-Debian source package dpdk=$version}" \
			> "$dir.new/witness/SOURCE"
	else
		log "$src has no $WITNESS_DIR: the witness suite will skip"
		echo none > "$dir.new/witness/SOURCE"
	fi
	echo "$srcver" > "$dir.new/VERSION"
	echo "$version" > "$dir.new/VERSION.deb"
	rm -rf "$dir"
	mv "$dir.new" "$dir"
	log "SDK headers for DPDK $srcver in $dir"
}

install_packages
fetch_sdk
