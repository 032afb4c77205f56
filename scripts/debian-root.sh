#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# Makes and enters a Debian root (debootstrap, minbase) cached under
# ${DPDK_MANA_CACHE:-~/.cache/dpdk-mana}/roots/SUITE, for runs on another
# Debian release than the machine's (CI legs). Root only.
#
#   debian-root.sh create SUITE            # make or reuse it, install what the suite needs
#   debian-root.sh run SUITE [OPTS] -- CMD # run CMD in it
#   debian-root.sh path SUITE              # print its directory
#
# run options:
#   --bind HOST[:GUEST]  bind-mount HOST at GUEST (default: the same path) in the root
#   --env VAR=VALUE      set VAR for CMD (the environment is otherwise clean)
#   --cwd DIR            working directory of CMD (default /src)
# The project tree is bind-mounted at /src. Every mount (/proc, /sys, /dev,
# /dev/shm, /tmp, binds) exists only in a private mount namespace (unshare -m)
# that disappears with CMD: nothing on the machine is mounted or changed.
#
# Environment:
#   DPDK_MANA_MIRROR     Debian mirror URL (default: the first Debian deb entry
#                        configured in /etc/apt, else http://deb.debian.org/debian)
#   DPDK_MANA_ROOT_EXTRA extra packages to install in the root (space-separated)

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
cache=${DPDK_MANA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dpdk-mana}

log() { printf 'debian-root: %s\n' "$*" >&2; }
die() { printf 'debian-root: error: %s\n' "$*" >&2; exit 1; }

# What the suite needs (the list scripts/setup.sh installs on the machine),
# plus gdb for backtraces and the tools a minbase root lacks.
mapfile -t PACKAGES < <("$(dirname "${BASH_SOURCE[0]}")/setup.sh" --print-packages)
[ ${#PACKAGES[@]} -gt 0 ] || die "scripts/setup.sh --print-packages listed nothing"
PACKAGES+=(gdb procps kmod util-linux ca-certificates)

# The first Debian (not -security) URI of an enabled deb entry in /etc/apt.
default_mirror() {
	local uri
	uri=$(awk '
		FNR == 1 { types = ""; enabled = 1 }
		/^[ \t]*$/ { types = ""; enabled = 1; next }
		/^Types:/ { types = $0 }
		/^Enabled:[ \t]*[Nn]o/ { enabled = 0 }
		/^URIs:/ && types ~ /[ \t]deb([ \t]|$)/ && enabled {
			for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit }
		}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
	if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
		uri=$(awk '$1 == "deb" {
			for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {
				if ($i !~ /security/) { print $i; exit } else break }
		}' /etc/apt/sources.list)
	fi
	echo "${uri:-http://deb.debian.org/debian}"
}

root_of() {
	[[ $1 =~ ^[a-z]+$ ]] || die "suite '$1': give a Debian suite name, e.g. trixie"
	echo "$cache/roots/$1"
}

# Mounts the root's pseudo-filesystems; call only inside unshare -m.
mount_root() {
	local r=$1
	mount --make-rprivate /
	mount -t proc proc "$r/proc"
	mount --rbind /sys "$r/sys"
	mount --rbind /dev "$r/dev"
	mkdir -p "$r/dev/shm"
	mount -t tmpfs -o mode=1777 tmpfs "$r/dev/shm"
	mount -t tmpfs -o mode=1777 tmpfs "$r/tmp"
	mkdir -p "$r/run"
	mount -t tmpfs -o mode=0755 tmpfs "$r/run"
}

# chroot with a clean environment.
in_root() {
	local r=$1
	shift
	env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" DEBIAN_FRONTEND=noninteractive \
		chroot "$r" "$@"
}

cmd_create() {
	local suite=$1 r mirror stamp want t0 t1
	r=$(root_of "$suite")
	[ "$(id -u)" = 0 ] || die "making a root needs root (debootstrap, chroot)"
	mkdir -p "$cache/roots"
	exec 9>"$r.lock"
	flock 9
	want="${PACKAGES[*]} ${DPDK_MANA_ROOT_EXTRA:-}"
	stamp=$r/.dpdk-mana-stamp
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
		log "$suite root ready in $r (cached)"
		return 0
	fi
	t0=$(date +%s)
	if [ ! -f "$r/.dpdk-mana-debootstrap" ]; then
		command -v debootstrap >/dev/null ||
			die "debootstrap is missing: apt-get install debootstrap"
		mirror=${DPDK_MANA_MIRROR:-$(default_mirror)}
		log "debootstrap --variant=minbase $suite from $mirror (a few minutes)"
		rm -rf "$r.new"
		debootstrap --variant=minbase "$suite" "$r.new" "$mirror" >"$cache/roots/$suite.debootstrap.log" 2>&1 ||
			die "debootstrap failed: see $cache/roots/$suite.debootstrap.log"
		# services never start inside the root
		printf '#!/bin/sh\nexit 101\n' >"$r.new/usr/sbin/policy-rc.d"
		chmod 755 "$r.new/usr/sbin/policy-rc.d"
		cp /etc/resolv.conf "$r.new/etc/resolv.conf" 2>/dev/null || true
		touch "$r.new/.dpdk-mana-debootstrap"
		rm -rf "$r"
		mv "$r.new" "$r"
		t1=$(date +%s)
		log "debootstrap took $((t1 - t0)) s"
	fi
	t1=$(date +%s)
	log "installing packages in the $suite root"
	# shellcheck disable=SC2086
	unshare -m bash -c "$(declare -f mount_root in_root); set -e
		mount_root '$r'
		in_root '$r' apt-get update -q >/dev/null
		in_root '$r' apt-get install -y -q --no-install-recommends $want >/dev/null" ||
		die "package installation in $r failed"
	echo "$want" >"$stamp"
	log "packages took $(($(date +%s) - t1)) s; $suite root ready in $r after $(($(date +%s) - t0)) s"
}

cmd_run() {
	local suite=$1 r cwd=/src binds=() envs=() b host guest
	shift
	r=$(root_of "$suite")
	[ -f "$r/.dpdk-mana-stamp" ] || die "no $suite root: run '$0 create $suite' first"
	while [ $# -gt 0 ]; do
		case $1 in
		--bind) binds+=("$2"); shift 2 ;;
		--env) envs+=("$2"); shift 2 ;;
		--cwd) cwd=$2; shift 2 ;;
		--) shift; break ;;
		*) die "run: unknown option '$1' (options: --bind, --env, --cwd, then -- CMD)" ;;
		esac
	done
	[ $# -gt 0 ] || die "run: no command (debian-root.sh run SUITE -- CMD)"
	local script="set -e; mount_root '$r'; mkdir -p '$r/src'; mount --rbind '$top' '$r/src'"
	for b in "${binds[@]}"; do
		host=${b%%:*}
		guest=${b#*:}
		[ "$guest" != "$b" ] || guest=$host
		[ -e "$host" ] || die "run: --bind $host: no such file or directory"
		if [ -d "$host" ]; then
			script+="; mkdir -p '$r$guest'"
		else
			script+="; mkdir -p '$(dirname "$r$guest")'; touch '$r$guest'"
		fi
		script+="; mount --rbind '$host' '$r$guest'"
	done
	exec unshare -m bash -c "$(declare -f mount_root in_root); $script"'
		r=$1; cwd=$2; n=$3; shift 3
		env_args=("${@:1:$n}"); shift "$n"
		in_root "$r" env "${env_args[@]}" sh -c "cd \"\$0\" && exec \"\$@\"" "$cwd" "$@"' \
		run "$r" "$cwd" "${#envs[@]}" "${envs[@]}" "$@"
}

case ${1:-} in
create) [ $# -eq 2 ] || die "usage: $0 create SUITE"; cmd_create "$2" ;;
run) [ $# -ge 2 ] || die "usage: $0 run SUITE [--bind H[:G]] [--env V=X] [--cwd D] -- CMD"
	shift; cmd_run "$@" ;;
path) [ $# -eq 2 ] || die "usage: $0 path SUITE"; root_of "$2" ;;
*) die "usage: $0 create|run|path SUITE ... (see the header of $0)" ;;
esac
