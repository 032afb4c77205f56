#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# Prints where the driver-SDK headers for the installed DPDK (or for the
# DPDK version given as the argument) are cached.
# Used by scripts/setup.sh (to fill it) and meson.build (to find it).

cache=${DPDK_MANA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dpdk-mana}
version=${1:-$(pkg-config --modversion libdpdk 2>/dev/null || echo unknown)}
echo "$cache/sdk/$version"
