#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# meson setup fails with a one-line actionable error when the driver-SDK
# headers are missing or belong to another DPDK version.
set -u
src=$1
work=$2/configure-errors
rm -rf "$work"; mkdir -p "$work"
fail=0

expect_error() { # name, expected text, meson args...
	local name=$1 want=$2; shift 2
	local out
	out=$(meson setup "$work/$name" "$src" "$@" 2>&1)
	if [ $? -eq 0 ]; then
		echo "FAIL $name: meson setup succeeded"; fail=1; return
	fi
	local line
	line=$(printf '%s\n' "$out" | grep 'ERROR:' | head -n 1)
	if ! printf '%s' "$line" | grep -q -- "$want"; then
		echo "FAIL $name: no '$want' in: $line"; fail=1; return
	fi
	if ! printf '%s' "$line" | grep -q 'run scripts/setup.sh'; then
		echo "FAIL $name: error does not say what to do: $line"; fail=1; return
	fi
	echo "PASS $name: $line"
}

expect_error missing-sdk "driver-SDK headers not found" -Dsdk_dir="$work/nowhere"

mkdir -p "$work/old-sdk/include"
touch "$work/old-sdk/include/ethdev_driver.h"
echo 21.11.5 > "$work/old-sdk/VERSION"
expect_error mismatched-sdk "are for DPDK 21.11.5 but the installed DPDK is" -Dsdk_dir="$work/old-sdk"

rm -rf "$work"
exit $fail
