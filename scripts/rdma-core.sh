#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# Builds a newer rdma-core (libibverbs and libmana only) from its source
# tarball into a cache outside the source tree, and prints the environment
# that makes a program use that build instead of the system's.
#
#   scripts/rdma-core.sh build [VERSION]   build once (default 56.1), then a no-op
#   scripts/rdma-core.sh env [VERSION]     print `export` lines; use with eval
#   scripts/rdma-core.sh path [VERSION]    print the install directory
#
# The build is installed with CMAKE_INSTALL_PREFIX=<cache>/rdma-core/VERSION,
# so its libibverbs reads its provider list from <prefix>/etc/libibverbs.d and
# loads providers from <prefix>/lib/libibverbs (both compiled in), never the
# system's /etc/libibverbs.d or provider directory.
#
# Environment overrides:
#   DPDK_MANA_RDMA_CORE_SRC  the rdma-core-VERSION.tar.xz to build (default:
#                            ../shared/rdma-core/ beside the checkout)
#   DPDK_MANA_CACHE          cache directory (default ${XDG_CACHE_HOME:-$HOME/.cache}/dpdk-mana)
#   DPDK_MANA_NO_APT=1       never install the build dependencies: fail, naming
#                            the missing ones

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")

log() { printf 'rdma-core: %s\n' "$*" >&2; }
die() { printf 'rdma-core: error: %s\n' "$*" >&2; exit 1; }

usage() {
	die "usage: $0 build|env|path [VERSION] (VERSION defaults to 56.1)"
}

# What the build must contain; a change here rebuilds every cached version.
RECIPE="cmake -GNinja -DCMAKE_BUILD_TYPE=Release -DNO_MAN_PAGES=1 -DNO_PYVERBS=1 targets=ibverbs,mana install=kernel-headers,libibverbs,providers/mana r1"

PACKAGES=(cmake ninja-build pkg-config gcc python3 xz-utils libnl-3-dev libnl-route-3-dev)

cache=${DPDK_MANA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dpdk-mana}
cmd=${1:-}
version=${2:-56.1}
[ $# -le 2 ] || usage
case $version in
[0-9]*.[0-9]*) ;;
*) die "bad VERSION '$version': expected a release number such as 56.1" ;;
esac
prefix=$cache/rdma-core/$version
stamp=$prefix/.built
tmp=

tarball() {
	local src=${DPDK_MANA_RDMA_CORE_SRC:-$root/../shared/rdma-core/rdma-core-$version.tar.xz}
	[ -f "$src" ] ||
		die "no source tarball $src: set DPDK_MANA_RDMA_CORE_SRC=<rdma-core-$version.tar.xz>"
	echo "$(cd "$(dirname "$src")" && pwd)/$(basename "$src")"
}

# The stamp names the tarball's content and the recipe: both must match.
stamp_text() {
	printf '%s\n%s\n' "$(sha256sum <"$1" | cut -d' ' -f1)" "$RECIPE"
}

install_packages() {
	local missing=() p sudo=
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "${DPDK_MANA_NO_APT:-0}" = 1 ] &&
		die "missing Debian packages ${missing[*]}: install them (scripts/setup.sh does) or unset DPDK_MANA_NO_APT"
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null ||
			die "missing Debian packages ${missing[*]}: run as root or install them"
		sudo=sudo
	fi
	log "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -q >/dev/null
	$sudo apt-get install -y -q "${missing[@]}" >/dev/null
}

build() {
	local src want start top b stage d
	src=$(tarball)
	want=$(stamp_text "$src")
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
		return 0
	fi
	start=$(date +%s)
	mkdir -p "$cache/rdma-core"
	# One build per version at a time; a second caller waits, then finds it done.
	exec 9>"$cache/rdma-core/.lock-$version"
	flock 9
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
		return 0
	fi
	install_packages
	tmp=$(mktemp -d "$cache/rdma-core/.build-$version.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	log "building rdma-core $version from $src into $prefix"
	tar -xf "$src" -C "$tmp"
	top=$(find "$tmp" -mindepth 1 -maxdepth 1 -type d | head -n 1)
	[ -f "$top/libibverbs/init.c" ] && [ -d "$top/providers/mana" ] ||
		die "$src is not an rdma-core source tarball with providers/mana"
	b=$tmp/build
	stage=$tmp/stage
	# Configure for the final prefix: the provider and config directories
	# are compiled into libibverbs. Only the two libraries are built.
	nice cmake -S "$top" -B "$b" -G Ninja -Wno-dev \
		-DCMAKE_BUILD_TYPE=Release \
		-DCMAKE_INSTALL_PREFIX="$prefix" \
		-DNO_MAN_PAGES=1 -DNO_PYVERBS=1 >"$tmp/configure.log" 2>&1 ||
		{ tail -n 30 "$tmp/configure.log" >&2; die "cmake failed for rdma-core $version"; }
	nice ninja -C "$b" ibverbs mana >"$tmp/build.log" 2>&1 ||
		{ tail -n 30 "$tmp/build.log" >&2; die "ninja failed for rdma-core $version"; }
	# Install those directories only (the headers verbs.h needs included),
	# staged, then moved into place whole.
	for d in kernel-headers libibverbs providers/mana; do
		DESTDIR=$stage cmake -P "$b/$d/cmake_install.cmake" >>"$tmp/install.log" 2>&1 ||
			{ tail -n 30 "$tmp/install.log" >&2; die "installing $d failed"; }
	done
	# libibverbs.pc is installed by the top directory's rules, which would
	# install everything: take the file configured for this prefix.
	cp "$b/lib/pkgconfig/libibverbs.pc" "$stage$prefix/lib/pkgconfig/"
	[ -e "$stage$prefix/lib/libibverbs.so.1" ] && [ -e "$stage$prefix/lib/libmana.so.1" ] &&
		ls "$stage$prefix"/lib/libibverbs/libmana-rdmav*.so >/dev/null 2>&1 &&
		[ -f "$stage$prefix/etc/libibverbs.d/mana.driver" ] ||
		die "rdma-core $version installed no libibverbs.so.1, libmana.so.1, provider or mana.driver"
	rm -rf "$prefix"
	mv "$stage$prefix" "$prefix"
	echo "$want" >"$stamp"
	log "rdma-core $version built in $(( $(date +%s) - start )) s: $prefix"
}

env_lines() {
	[ -f "$stamp" ] || die "rdma-core $version is not built: run $0 build $version"
	printf 'export LD_LIBRARY_PATH=%q${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}\n' "$prefix/lib"
	printf 'export DPDK_MANA_RDMA_CORE=%q\n' "$prefix"
}

case $cmd in
build) build ;;
env) env_lines ;;
path) echo "$prefix" ;;
*) usage ;;
esac
