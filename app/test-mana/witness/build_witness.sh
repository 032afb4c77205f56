#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# Compiles Microsoft's upstream net/mana, as the installed DPDK's Debian source
# package ships it (cached by scripts/setup.sh), out of tree into the build
# tree: the witness driver. Nothing of it enters our sources.
#
#   build_witness.sh <build dir> <sdk dir> <python3> <cc>
#
# Output: <build>/app/test-mana/witness/librte_net_mana_witness.so, with its PMD
# information, linked with -z defs. Rebuilt only when a source file or this
# script is newer. Exit 77 (skip) when the source is not in the cache, 1 when
# it does not build.
set -u
build=$(cd "${1:?build dir}" && pwd)
sdk=${2:?sdk dir}
python3=${3:?python3}
cc=${4:?cc}

src=$sdk/witness/drivers/net/mana
out=$build/app/test-mana/witness
so=$out/librte_net_mana_witness.so
obj=$out/witness-obj

if [ ! -f "$src/meson.build" ]; then
	echo "SKIP: Microsoft's net/mana source is not in $sdk/witness" \
		"(Debian's dpdk source package unavailable): run scripts/setup.sh"
	exit 77
fi
sources=(gdma.c mana.c mp.c mr.c rx.c tx.c)
for f in "${sources[@]}"; do
	[ -f "$src/$f" ] || { echo "FAIL: $src/$f missing: the witness build script" \
		"knows the 22.11 file list only"; exit 1; }
done

mkdir -p "$out"
exec 9>"$out/.build.lock"
flock 9

stale=0
[ -f "$so" ] || stale=1
for f in "$src"/* "$0"; do
	[ "$f" -nt "$so" ] && stale=1
done
[ $stale -eq 0 ] && exit 0

t0=$(date +%s.%N)
rm -rf "$obj"
mkdir -p "$obj"
# What DPDK's drivers/meson.build gives an in-tree driver: internal and
# experimental API, the default log type pmd.net.<name>, and -include
# rte_config.h (in pkg-config's cflags); the driver's own meson.build adds
# libibverbs and libmana.
read -r -a cflags <<<"$(pkg-config --cflags libdpdk libibverbs libmana)"
cflags+=(-O2 -g -fPIC -isystem "$sdk/include"
	-DALLOW_INTERNAL_API -DALLOW_EXPERIMENTAL_API
	-DRTE_LOG_DEFAULT_LOGTYPE=pmd.net.mana)
read -r -a libs <<<"$(pkg-config --libs libdpdk libibverbs libmana)"
libs+=(-lrte_bus_pci -Wl,-z,defs)

for f in "${sources[@]}"; do
	"$cc" "${cflags[@]}" -c "$src/$f" -o "$obj/${f%.c}.o" ||
		{ echo "FAIL: the witness's $f does not compile (flags: ${cflags[*]})"; exit 1; }
done
"$python3" "$sdk/buildtools/pmdinfogen.py" elf "$obj"/*.o "$obj/pmd_info.c" ||
	{ echo "FAIL: pmdinfogen on the witness objects"; exit 1; }
"$cc" "${cflags[@]}" -c "$obj/pmd_info.c" -o "$obj/pmd_info.o" ||
	{ echo "FAIL: compiling the witness PMD information"; exit 1; }
"$cc" -shared -o "$so.tmp" "$obj"/*.o "${libs[@]}" ||
	{ echo "FAIL: linking the witness (-z defs: a library missing?)"; exit 1; }
mv "$so.tmp" "$so"
t1=$(date +%s.%N)
printf 'witness: %s built from %s in %.1f s\n' "$(basename "$so")" \
	"$(cat "$sdk/witness/SOURCE")" "$(awk "BEGIN { print $t1 - $t0 }")"
exit 0
