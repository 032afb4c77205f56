#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# Runs a command on rdma-core VERSION built from source (scripts/rdma-core.sh)
# instead of the system's libibverbs and libmana:
#
#   with-rdma-core.sh VERSION CMD [ARGS...]
#
# Exit 77 (skip) when that version's source tarball is not available.
set -u
version=${1:?rdma-core version}
shift
rc_sh=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)/scripts/rdma-core.sh
if ! out=$(DPDK_MANA_NO_APT=1 "$rc_sh" build "$version" 2>&1); then
	if grep -q 'no source tarball' <<<"$out"; then
		echo "SKIP: rdma-core $version: $out"
		exit 77
	fi
	echo "FAIL: cannot build rdma-core $version: $out"
	exit 1
fi
eval "$("$rc_sh" env "$version")"
exec "$@"
