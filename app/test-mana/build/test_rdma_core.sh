#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# scripts/rdma-core.sh builds rdma-core from its tarball, and its `env` makes
# a program linked with the system's libibverbs run the built libibverbs,
# read the built provider list and load the built libmana as provider.
#
# A device must exist for libibverbs to load providers: the probe runs with
# SYSFS_PATH on a fake sysfs holding uverbs0, in a mount namespace whose
# private /dev has /dev/infiniband/uverbs0. The same run without `env` must
# show the system's libraries: that proves the checks tell the two apart.
#
# The build's Debian packages come from scripts/setup.sh: the test installs
# none. MANA_TEST_RDMA_CORE_VERSION picks the version (default 56.1).
set -u
src=$1
work=$2/rdma-core-test
probe=$3
version=${MANA_TEST_RDMA_CORE_VERSION:-56.1}
script=$src/scripts/rdma-core.sh
tarball=${DPDK_MANA_RDMA_CORE_SRC:-$src/../shared/rdma-core/rdma-core-$version.tar.xz}
fail=0

[ -f "$tarball" ] || {
	echo "SKIP: no rdma-core source $tarball (set DPDK_MANA_RDMA_CORE_SRC=<rdma-core-$version.tar.xz>)"
	exit 77
}
command -v strace >/dev/null || { echo "FAIL: strace is not installed (scripts/setup.sh installs it)"; exit 1; }
unshare -m true 2>/dev/null || { echo "SKIP: cannot create a mount namespace (unshare -m, needs root)"; exit 77; }

start=$(date +%s%N)
DPDK_MANA_NO_APT=1 "$script" build "$version" || { echo "FAIL: scripts/rdma-core.sh build $version failed"; exit 1; }
echo "build: $(( ($(date +%s%N) - start) / 1000000 )) ms"
prefix=$("$script" path "$version")
real=$(realpath "$prefix")

rm -rf "$work"
mkdir -p "$work"
sys=$work/sys
mkdir -p "$sys/class/infiniband_verbs/uverbs0" "$sys/class/infiniband/mana_0"
echo 6 >"$sys/class/infiniband_verbs/abi_version"
echo mana_0 >"$sys/class/infiniband_verbs/uverbs0/ibdev"
echo 1 >"$sys/class/infiniband_verbs/uverbs0/abi_version"
echo 231:192 >"$sys/class/infiniband_verbs/uverbs0/dev"
echo 1 >"$sys/class/infiniband/mana_0/node_type"
mkdir -p "$work/nodev-sys/class/infiniband_verbs"
echo 6 >"$work/nodev-sys/class/infiniband_verbs/abi_version"

rc_env=$("$script" env "$version") || { echo "FAIL: scripts/rdma-core.sh env $version failed"; exit 1; }
# with_env CMD...: CMD with the environment `scripts/rdma-core.sh env` prints.
with_env() { ( eval "$rc_env" && exec "$@" ); }

# run_probe OUT [with_env]: the probe with the fake device, under strace.
run_probe() {
	local out=$1
	shift
	"$@" env SYSFS_PATH="$sys" unshare -m --propagation private sh -c '
		mount -t tmpfs -o mode=0755 rdma-core-test /dev &&
		mkdir /dev/infiniband && : >/dev/infiniband/uverbs0 &&
		exec strace -f -qq -e trace=openat -o "$0.strace" "$1"' "$out" "$probe" \
		>"$out" 2>"$out.err" || {
		echo "FAIL: probe failed: $(cat "$out" "$out.err")"; fail=1; }
}

# maps OUT PATTERN: the probe's mapped libraries matching PATTERN.
maps() { sed -n 's/^map //p' "$1" | grep -E "$2"; }

# The system's libraries without `env`.
run_probe "$work/system"
if maps "$work/system" '/libibverbs\.so' | grep -qv "^$real/" &&
   ! maps "$work/system" . | grep -q "^$real/"; then
	echo "PASS: without env: the system's $(maps "$work/system" '/libibverbs\.so')"
else
	echo "FAIL: without env, expected only the system's libraries:"; cat "$work/system"; fail=1
fi

# With `env`, no device: the built libibverbs, no other.
with_env env SYSFS_PATH="$work/nodev-sys" "$probe" >"$work/nodev" 2>&1
if grep -qx 'devices 0' "$work/nodev" &&
   [ "$(maps "$work/nodev" '/libibverbs\.so' | wc -l)" = 1 ] &&
   maps "$work/nodev" '/libibverbs\.so' | grep -q "^$real/lib/libibverbs\.so\.1\."; then
	echo "PASS: with env: $(maps "$work/nodev" '/libibverbs\.so')"
else
	echo "FAIL: with env, expected $real/lib/libibverbs.so.1.* only:"; cat "$work/nodev"; fail=1
fi

# With `env` and the fake device: the built provider from the built list.
run_probe "$work/built" with_env
if maps "$work/built" '/libmana' | grep -q "^$real/lib/libmana\.so\.1\." &&
   ! maps "$work/built" . | grep -qv "^$real/"; then
	echo "PASS: with env: provider $(maps "$work/built" '/libmana')"
else
	echo "FAIL: with env, expected the built libmana as provider and no system library:"
	cat "$work/built"; fail=1
fi
opened() { grep -E "openat\(AT_FDCWD, \"$2\"" "$1.strace" | grep -v ' = -1 '; }
if opened "$work/built" "$prefix/etc/libibverbs\.d" >/dev/null &&
   ! grep -q '"/etc/libibverbs\.d' "$work/built.strace" &&
   opened "$work/built" "$prefix/lib/libibverbs/libmana-rdmav[0-9]+\.so" >/dev/null; then
	echo "PASS: with env: read $prefix/etc/libibverbs.d, not /etc/libibverbs.d; loaded $prefix/lib/libibverbs/libmana-rdmav*.so"
else
	echo "FAIL: with env, expected $prefix/etc/libibverbs.d and its provider directory only:"
	grep -E 'libibverbs|libmana' "$work/built.strace"; fail=1
fi
# and the strace check tells the two apart
if grep -q '"/etc/libibverbs\.d' "$work/system.strace"; then
	echo "PASS: without env: read /etc/libibverbs.d"
else
	echo "FAIL: without env, /etc/libibverbs.d not read: the strace check sees nothing"; fail=1
fi
exit $fail
