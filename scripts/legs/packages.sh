#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# Leg "packages": builds the Debian packages (dpdk-mana-pmd, mana-emu) with
# dpkg-buildpackage from a copy of the tree, runs lintian on them, then, in a
# private mount namespace whose /usr, /etc and /var are overlays (the
# machine's own stay untouched), installs them, runs Debian's dpdk-testpmd on
# mana-emu from the installed files (debian/tests/testpmd-emu), purges them
# and checks that nothing is left behind.
#
#   scripts/legs/packages.sh LOG      # appends one JSON line per case to LOG
#
# Cases per release: packages-build-, -lintian-, -install-, -testpmd-,
# -purge-<release>. Bookworm runs on this machine; trixie SKIPs, saying why,
# until the plugin has a file name of its own. Needs root (SKIP otherwise);
# installs debhelper, lintian and dpkg-dev itself. Keeps its work directory
# when a case fails (DPDK_MANA_PKG_KEEP=1: always), and says where.

set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
self=$top/scripts/legs/packages.sh

say() { printf 'packages: %s\n' "$*"; }

# ---------------------------------------------------------------- inner ----
# In the private mount namespace: overlays, install, run, purge, checks.
# Prints "CASE <name> OK|FAIL" lines for the outer part to record.
if [ "${1:-}" = --inner ]; then
	work=$2 release=$3
	for d in usr etc var; do
		mkdir -p "$work/upper/$d" "$work/ovl/$d"
		mount -t overlay "dpdk-mana-pkg-$d" \
			-o "lowerdir=/$d,upperdir=$work/upper/$d,workdir=$work/ovl/$d" "/$d" ||
			{ echo "CASE packages-install-$release FAIL (cannot mount an overlay on /$d)"; exit 1; }
	done
	debs=("$work"/dpdk-mana-pmd_*.deb "$work"/mana-emu_*.deb)
	pmd_dir=$(dpkg-deb -c "${debs[0]}" | awk '{ print $6 }' |
		sed -n 's#^\.\(/.*/pmds-[^/]*\)/librte_net_mana\.so$#\1#p')
	ls -A "$pmd_dir" >"$work/pmd-before" 2>/dev/null

	t=$SECONDS
	if DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${debs[@]}" >"$work/install.log" 2>&1 &&
	   dpkg-query -W -f='${Status}\n' dpdk-mana-pmd mana-emu | grep -c 'install ok installed' |
		grep -qx 2; then
		echo "CASE packages-install-$release OK"
	else
		echo "CASE packages-install-$release FAIL (see $work/install.log)"
		tail -n 20 "$work/install.log"
		exit 1
	fi
	say "install: $((SECONDS - t)) s"
	dpkg -L dpdk-mana-pmd mana-emu >"$work/files" 2>&1

	t=$SECONDS
	if "$top/debian/tests/testpmd-emu" "$work/testpmd" >"$work/testpmd.out" 2>&1; then
		echo "CASE packages-testpmd-$release OK"
	else
		echo "CASE packages-testpmd-$release FAIL"
	fi
	sed 's/^/  /' "$work/testpmd.out"
	say "testpmd on mana-emu: $((SECONDS - t)) s"

	t=$SECONDS
	bad=0
	DEBIAN_FRONTEND=noninteractive apt-get purge -y -q dpdk-mana-pmd mana-emu \
		>"$work/purge.log" 2>&1 || { echo "  apt-get purge failed (see $work/purge.log)"; bad=1; }
	for p in dpdk-mana-pmd mana-emu; do
		s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)
		[ -z "$s" ] || [ "$s" = not-installed ] ||
			{ echo "  $p is still known to dpkg: $s"; bad=1; }
		ls /var/lib/dpkg/info/"$p".* /var/lib/dpkg/info/"$p":*.* 2>/dev/null | sed 's/^/  left: /' |
			grep . && bad=1
	done
	while read -r f; do
		[ -e "$f" ] && [ ! -d "$f" ] && { echo "  left: $f"; bad=1; }
	done <"$work/files"
	ls -A "$pmd_dir" 2>/dev/null | diff -u "$work/pmd-before" - | sed 's/^/  /' | grep . &&
		{ echo "  $pmd_dir differs from before the install"; bad=1; }
	[ $bad -eq 0 ] && echo "CASE packages-purge-$release OK" ||
		echo "CASE packages-purge-$release FAIL"
	say "purge and checks: $((SECONDS - t)) s"
	exit 0
fi

# ---------------------------------------------------------------- outer ----
source "$top/scripts/leg-record.sh"
leg_log "${1:-}"
cases() {
	local c
	for c in build lintian install testpmd purge; do record "packages-$c-$1" "$2" "${3:-}"; done
}

if [ "$(id -u)" != 0 ]; then
	cases bookworm SKIP "needs root: apt-get, dpkg and mount namespaces"
	cases trixie SKIP "needs root"
	exit 0
fi

t_leg=$SECONDS
t=$SECONDS
need=()
for p in debhelper lintian dpkg-dev; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" \
		>/dev/null || { cases bookworm FAIL "cannot install ${need[*]}"; exit 1; }
fi
"$top/scripts/setup.sh" || { cases bookworm FAIL "scripts/setup.sh failed"; exit 1; }
say "build dependencies (${need[*]:-none missing}) and setup.sh: $((SECONDS - t)) s"

# Builds, lints and runs the packages of one release on this machine.
run_release() {
	local release=$1 work t line
	work=$(mktemp -d "${TMPDIR:-/tmp}/dpdk-mana-pkg-$release.XXXXXX")
	chmod 0755 "$work"
	mkdir "$work/src"
	if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$top" && git ls-files -co --exclude-standard -z | tar -c --null -T - -f -) |
			tar -x -C "$work/src" -f -
	else
		tar -C "$top" --exclude='./build*' --exclude='./obj-*' -c -f - . | tar -x -C "$work/src" -f -
	fi

	t=$SECONDS
	if (cd "$work/src" && nice dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1; then
		record "packages-build-$release" OK
		(cd "$work" && ls ./*.deb | sed 's/^/  /')
	else
		record "packages-build-$release" FAIL "see $work/build.log"
		tail -n 20 "$work/build.log"
		for c in lintian install testpmd purge; do record "packages-$c-$release" SKIP "no packages"; done
		return
	fi
	say "dpkg-buildpackage: $((SECONDS - t)) s"

	t=$SECONDS
	if lintian -I --fail-on error,warning "$work"/*.changes >"$work/lintian.log" 2>&1; then
		record "packages-lintian-$release" OK
	else
		record "packages-lintian-$release" FAIL "see $work/lintian.log"
	fi
	grep -v 'running with root privileges' "$work/lintian.log" | sed 's/^/  lintian: /'
	say "lintian: $((SECONDS - t)) s"

	while read -r line; do
		case $line in
		"CASE "*)
			set -- $line
			record "$2" "$3" "${line#CASE $2 $3}" ;;
		*) echo "$line" ;;
		esac
	done < <(unshare -m --propagation private "$self" --inner "$work" "$release" 2>&1)
	for c in install testpmd purge; do
		grep -q "\"packages-$c-$release\"" "$log" ||
			record "packages-$c-$release" FAIL "not reached"
	done

	# What the overlays kept: /usr must hold nothing new after the purge.
	line=$(cd "$work/upper/usr" && find . -mindepth 1 -print |
		while read -r f; do [ -e "/usr/${f#./}" ] || echo "/usr/${f#./}"; done)
	if [ -n "$line" ]; then
		echo "$line" | sed 's/^/  left in \/usr: /'
		record "packages-leftover-$release" FAIL "the overlay kept new files"
	else
		record "packages-leftover-$release" OK
	fi

	if [ "$failed" = 0 ] && [ "${DPDK_MANA_PKG_KEEP:-0}" != 1 ]; then
		rm -rf "$work"
	else
		say "work directory kept: $work"
	fi
}

run_release bookworm

cases trixie SKIP "trixie packages are not built yet: the plugin must first install under its own file name (Debian 13 owns pmds-25.0/librte_net_mana.so)"

say "leg total: $((SECONDS - t_leg)) s"
exit $failed
