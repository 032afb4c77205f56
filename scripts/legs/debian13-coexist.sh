#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# Leg "debian13-coexist": in a Debian 13 root (scripts/debian-root.sh: DPDK
# 24.11, rdma-core 56, and Debian's own net_mana, librte-net-mana25, a hard
# dependency of libdpdk-dev there), builds the tree against trixie's DPDK and
# checks that ours owns the MANA function while Debian's net_mana is
# auto-loaded from the PMD directory, and that DPDK_MANA_DRIVER=other hands
# it to Debian's: Debian's dpdk-testpmd and our mana-ports example on
# mana-emu, with trixie's real libibverbs and libmana.
#
#   scripts/legs/debian13-coexist.sh LOG   # appends one JSON line per case to LOG
#
# Cases: debian13-root, debian13-build, debian13-coexist-{testpmd,ports}-{default,other}.
# Needs root (SKIP otherwise). The SDK headers come from Debian's dpdk source
# package where apt can fetch it, else from ../shared/dpdk/dpdk-24.11.6.tar.xz
# (same LTS series: the same layouts).

set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
say() { printf 'debian13-coexist: %s\n' "$*"; }

# ---------------------------------------------------------------- inner ----
# In the root: build, then the four checks, as "CASE name OK|FAIL reason" lines.
if [ "${1:-}" = --inner ]; then
	b=/src/build-trixie
	pmd=/usr/lib/x86_64-linux-gnu/dpdk/pmds-25.0/librte_net_mana.so
	# the root has the packages (debian-root.sh create): only the SDK headers
	if DPDK_MANA_NO_APT=1 scripts/setup.sh >/tmp/setup.log 2>&1 &&
	   { [ -f $b/build.ninja ] || meson setup $b >/tmp/meson.log 2>&1; } &&
	   ninja -C $b >/tmp/ninja.log 2>&1; then
		echo "CASE debian13-build OK"
	else
		tail -n 30 /tmp/setup.log /tmp/meson.log /tmp/ninja.log 2>/dev/null
		echo "CASE debian13-build FAIL setup or build failed"
		exit 0
	fi
	owner=$(dpkg -S "$pmd" 2>/dev/null)
	echo "Debian's net_mana: $pmd ($owner)"
	export LD_LIBRARY_PATH=$b/drivers/net/mana RUNTIME_DIRECTORY=/tmp/rt
	mkdir -p /tmp/rt && cd /tmp || exit 1
	for mode in default other; do
		env=
		[ $mode = other ] && env=other
		echo quit | env ${env:+DPDK_MANA_DRIVER=$env} timeout 60 $b/emu/cli/mana-emu --ports 2 -- \
			dpdk-testpmd -l 0-1 -d librte_net_mana.so -a 7870:00:00.0 --no-huge -m 512 \
			--log-level=pmd.net.mana.init:info --file-prefix t-$mode -- -i \
			--total-num-mbufs=2048 >/tmp/testpmd-$mode.log 2>&1
		grep -E "driven by|leaving|mana_init_once|^Port [01]: " /tmp/testpmd-$mode.log
		timeout 60 env ${env:+DPDK_MANA_DRIVER=$env} $b/emu/cli/mana-emu --ports 2 -- \
			$b/examples/mana-ports/mana-ports -d librte_net_mana.so -a 7870:00:00.0 \
			--no-huge -m 512 --file-prefix p-$mode >/tmp/ports-$mode.log 2>&1
		grep -E "^port|driver object" /tmp/ports-$mode.log
		r=FAIL
		if ! grep -q '^Port 1: ' /tmp/testpmd-$mode.log; then
			why="two ports were not probed"
		elif [ $mode = default ]; then
			why="no 'driven by dpdk-mana' line, or Debian's net_mana probed"
			grep -q "2 port(s) driven by dpdk-mana's net_mana .*$b/" /tmp/testpmd-$mode.log &&
				! grep -q mana_init_once /tmp/testpmd-$mode.log && r=OK
		else
			why="ours did not leave the device to Debian's net_mana, or Debian's did not probe"
			grep -q "DPDK_MANA_DRIVER=other: leaving the device to net_mana of ${pmd%/*}/" \
				/tmp/testpmd-$mode.log && grep -q mana_init_once /tmp/testpmd-$mode.log &&
				! grep -q 'driven by dpdk-mana' /tmp/testpmd-$mode.log && r=OK
		fi
		[ $r = OK ] && why=
		echo "CASE debian13-coexist-testpmd-$mode $r $why"
		if [ $mode = default ]; then want="$b/drivers/net/mana/librte_net_mana.so"; else want="${pmd%/*}/librte_net_mana.so.25"; fi
		n=$(grep -c "^  driver object $want" /tmp/ports-$mode.log)
		r=FAIL why="$n of 2 ports owned by $want"
		[ "$n" -eq 2 ] && r=OK why=
		echo "CASE debian13-coexist-ports-$mode $r $why"
	done
	exit 0
fi

# ---------------------------------------------------------------- outer ----
source "$top/scripts/leg-record.sh"
leg_log "${1:-}"
all=(debian13-root debian13-build debian13-coexist-testpmd-default debian13-coexist-ports-default
     debian13-coexist-testpmd-other debian13-coexist-ports-other)
if [ "$(id -u)" != 0 ]; then
	for c in "${all[@]}"; do record "$c" SKIP "needs root (debootstrap, unshare)"; done
	exit 0
fi
command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y debootstrap >/dev/null 2>&1
if ! "$top/scripts/debian-root.sh" create trixie; then
	record debian13-root FAIL "scripts/debian-root.sh create trixie failed"
	for c in "${all[@]:1}"; do record "$c" FAIL "no root"; done
	exit 1
fi
record debian13-root OK
opts=()
src=$top/../shared/dpdk/dpdk-24.11.6.tar.xz
[ -f "$src" ] && opts=(--bind "$(cd "${src%/*}" && pwd)":/dpdk-src --env DPDK_MANA_DPDK_SRC=/dpdk-src/${src##*/})
out=$(mktemp)
"$top/scripts/debian-root.sh" run trixie "${opts[@]}" --env HOME=/root -- \
	bash /src/scripts/legs/debian13-coexist.sh --inner 2>&1 | tee "$out"
seen=()
while read -r _ name res why; do
	record "$name" "$res" "$why"
	seen+=("$name")
done < <(grep '^CASE ' "$out")
rm -f "$out"
for c in "${all[@]:1}"; do
	[[ " ${seen[*]} " == *" $c "* ]] || record "$c" FAIL "not reached"
done
exit $failed
