# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# Sourced by the test scripts that run a DPDK program on the PMD under
# mana-emu: `emu_run_setup BUILD WORK [testpmd]` checks that the emulator and
# the plugin are built (and, with "testpmd", that Debian's dpdk-testpmd is
# installed: exit 77 otherwise), makes WORK anew, points EAL's runtime files
# into it (through a short path, see short-dir.sh), lets `-d
# librte_net_mana.so` find the plugin and changes into WORK.
# Sets emu, plugin_dir and runtime. With MANA_TEST_RDMA_CORE=<version> the
# program runs on that rdma-core, built from source (scripts/rdma-core.sh),
# instead of the system's: e.g. 56.1 for queues of 2048 entries.

source "$(dirname "${BASH_SOURCE[0]}")/short-dir.sh"

emu_run_setup() {
	local build=$1 work=$2
	emu=$build/emu/cli/mana-emu
	plugin_dir=$build/drivers/net/mana
	[ -x "$emu" ] || { echo "FAIL: $emu was not built"; exit 1; }
	[ -f "$plugin_dir/librte_net_mana.so" ] || { echo "FAIL: plugin not built"; exit 1; }
	if [ "${3:-}" = testpmd ]; then
		command -v dpdk-testpmd >/dev/null ||
			{ echo "SKIP: dpdk-testpmd not installed"; exit 77; }
	fi
	rm -rf "$work"
	mkdir -p "$work"
	# EAL's unix sockets live in the runtime directory: keep its path short
	short_dir runtime "$work/runtime"
	# EAL refuses -d paths below world-writable directories: a bare name
	# and LD_LIBRARY_PATH, from a working directory without the plugin
	export LD_LIBRARY_PATH=$plugin_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	export RUNTIME_DIRECTORY=$runtime
	if [ -n "${MANA_TEST_RDMA_CORE:-}" ]; then
		local rc_sh rc
		rc_sh=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)/scripts/rdma-core.sh
		DPDK_MANA_NO_APT=1 "$rc_sh" build "$MANA_TEST_RDMA_CORE" >/dev/null 2>&1
		rc=$?
		[ $rc = 77 ] && { echo "SKIP: rdma-core $MANA_TEST_RDMA_CORE source not available"; exit 77; }
		[ $rc = 0 ] || { echo "FAIL: cannot build rdma-core $MANA_TEST_RDMA_CORE (scripts/rdma-core.sh build)"; exit 1; }
		eval "$("$rc_sh" env "$MANA_TEST_RDMA_CORE")"
	fi
	cd "$work" || exit 1
}
