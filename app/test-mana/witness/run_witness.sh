#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# Runs one case of test-mana-witness: builds the witness driver if needed
# (build_witness.sh; its skip is this test's skip), then runs the case under
# mana-emu on two paired vPorts with the emulator options the case needs.
#
#   run_witness.sh <build dir> <test program> <sdk dir> <python3> <cc> <case>
#
# Cases proving the witness works run under --strict with coalescing off
# (22.11 cannot decode coalesced CQEs); the known-defect cases expect the
# defect: cq_doorbell expects mana-emu --strict to fail naming cq_db_missed
# and nothing else; coalescing_on runs on the device default (coalescing on)
# and expects the witness to log one "RX coalescing is not supported" per
# coalesced CQE the device counted.
set -u
build=$(cd "${1:?build dir}" && pwd)
prog=${2:?test program}
sdk=${3:?sdk dir}
python3=${4:?python3}
cc=${5:?cc}
case=${6:?case name}
here=$(cd "$(dirname "$0")" && pwd)

"$here/build_witness.sh" "$build" "$sdk" "$python3" "$cc" || exit $?
witness_dir=$build/app/test-mana/witness
version=$(cut -d' ' -f1 "$sdk/witness/SOURCE")

emu_args=(--ports 2)
expect_rc=0
case $case in
io|rss|rmv|coalescing_off) emu_args+=(--strict --no-coalescing) ;;
cq_doorbell) emu_args+=(--strict --no-coalescing); expect_rc=3 ;;
coalescing_on) emu_args+=(--strict) ;;
*) echo "FAIL: unknown case $case"; exit 2 ;;
esac
case $case in
cq_doorbell|coalescing_on)
	[[ $version == 22.11.* ]] || {
		echo "SKIP: $case is a known defect of net/mana 22.11, the witness is $version"
		exit 77
	} ;;
esac

# extra emulator options, e.g. MANA_TEST_EMU_ARGS="--opt doorbell=trap"
read -r -a extra <<<"${MANA_TEST_EMU_ARGS:-}"
emu_args+=("${extra[@]}")

work=$witness_dir/run-$case
source "$here/../common/emu-run.sh"
emu_run_setup "$build" "$work"
export LD_LIBRARY_PATH=$witness_dir:$LD_LIBRARY_PATH

"$build/emu/cli/mana-emu" "${emu_args[@]}" -- "$prog" -l 0 -d librte_net_mana_witness.so \
	-a 7870:00:00.0 --no-huge -m 1024 --file-prefix "w-$case" \
	--log-level 'pmd.net.mana.*:notice' -- "$case" 2>&1 | tee "$work/log"
rc=${PIPESTATUS[0]}

fail=0
if [ "$rc" -ne "$expect_rc" ]; then
	echo "FAIL: mana-emu exit status $rc, expected $expect_rc"
	fail=1
fi
if [ "$case" = cq_doorbell ]; then
	# mana-emu --strict's own report: "  <pci> <name> queue=..." lines
	listed=$(sed -n '/violations\? of the device rules/,$p' "$work/log" |
		awk '$1 ~ /^[0-9a-f]+:/ { print $2 }' | sort | uniq -c)
	echo "mana-emu --strict reported: ${listed:-nothing}"
	if [ -z "$listed" ] || echo "$listed" | grep -qv ' cq_db_missed$'; then
		echo "FAIL: mana-emu --strict must report cq_db_missed and nothing else"
		fail=1
	fi
fi
if [ "$case" = coalescing_on ]; then
	cqes=$(sed -n 's/.*coalesced_cqes=\([0-9]*\).*/\1/p' "$work/log")
	logged=$(grep -c 'RX coalescing is not supported' "$work/log")
	echo "witness logged \"RX coalescing is not supported\" $logged times for ${cqes:-?} coalesced CQEs"
	[ -n "$cqes" ] && [ "$logged" -eq "$cqes" ] ||
		{ echo "FAIL: one log line per coalesced CQE expected"; fail=1; }
fi
rm -rf "$work"
[ $fail -eq 0 ] && echo "witness $case: PASS"
exit $fail
