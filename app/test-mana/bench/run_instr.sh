#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# Instructions per packet of net_mana's bursts, counted by valgrind's
# callgrind (exact, and independent of hardware counters, which this
# project's VMs lack). Each row of bench-mana runs alone (BENCH_ONLY) with
# callgrind collecting only inside mana_tx_burst or mana_rx_burst
# (inclusive of what they call: completions, mbuf free, refill); two runs
# with N and 2N packets cancel the warm-up, so the figure is
# (Ir(2N) - Ir(N)) / N. The doorbell page is sampled, not trapped, so that
# none of the emulator's instructions land inside the bursts.
#
#   run_instr.sh <build dir> <bench program> [N] [row ...]
#   rows: dir,bytes,segs,burst (default: tx,64,1,32 rx,64,1,32 tx,1500,1,32 rx,1500,1,32)
set -u
build=$(cd "${1:?build dir}" && pwd)
prog=${2:?bench program}
n=${3:-${BENCH_PACKETS:-32000}}
shift 3 2>/dev/null || shift $#
rows=("$@")
[ ${#rows[@]} -gt 0 ] || rows=(tx,64,1,32 rx,64,1,32 tx,1500,1,32 rx,1500,1,32)

command -v valgrind >/dev/null || { echo "SKIP: valgrind is not installed"; exit 77; }
command -v callgrind_annotate >/dev/null || { echo "SKIP: callgrind_annotate missing"; exit 77; }
emu=$build/emu/cli/mana-emu
[ -x "$emu" ] || { echo "FAIL: $emu was not built"; exit 1; }

source "$(dirname "$0")/../common/short-dir.sh"
rm -rf "$build/app/test-mana/bench/instr"
short_dir work "$build/app/test-mana/bench/instr"
export LD_LIBRARY_PATH=$build/drivers/net/mana${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export RUNTIME_DIRECTORY=$work
cd "$work" || exit 1

count() { # row packets -> Ir inside the burst function
	local row=$1 packets=$2 fn out
	fn=mana_${row%%,*}_burst
	out=$work/cg.$row.$packets
	# doorbell=sample: a trapped store would run the emulator's fault
	# handler inside the burst, and callgrind would count it as the driver's
	BENCH_ONLY=$row "$emu" --ports 2 --strict --opt doorbell=sample -- valgrind --tool=callgrind \
		--callgrind-out-file="$out" --toggle-collect="$fn" \
		"$prog" -l 0 -d librte_net_mana.so -a 7870:00:00.0 --no-huge -m 512 \
		--file-prefix instr --log-level 'pmd.net.mana.*:notice' -- "$packets" \
		>"$out.log" 2>&1 || { echo "FAIL: $row: see $out.log" >&2; return 1; }
	callgrind_annotate "$out" | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'
}

printf '%-3s %6s %5s %6s %12s   (callgrind, %u packets)\n' dir bytes segs burst instr/pkt "$n"
rc=0
for row in "${rows[@]}"; do
	a=$(count "$row" "$n") && b=$(count "$row" $((2 * n))) || { rc=1; continue; }
	IFS=, read -r d l s bu <<<"$row"
	awk -v a="$a" -v b="$b" -v n="$n" -v d="$d" -v l="$l" -v s="$s" -v bu="$bu" \
		'BEGIN { printf "%-3s %6s %5s %6s %12.1f\n", d, l, s, bu, (b - a) / n }'
done
[ $rc -ne 0 ] || { cd / && rm -rf "$build/app/test-mana/bench/instr"; }
exit $rc
