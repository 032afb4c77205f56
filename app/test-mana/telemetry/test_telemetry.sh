#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# Debian's dpdk-telemetry.py against Debian's dpdk-testpmd forwarding on two
# net_mana ports of mana-emu: /ethdev/list, /ethdev/info, /ethdev/stats,
# /ethdev/xstats and /ethdev/link_status, each value checked against what
# the test set up (names, MACs, MTU, queues, link) and, with forwarding
# stopped, against testpmd's own port statistics.
#
#   test_telemetry.sh <build dir>
set -u
build=$(cd "${1:?build dir}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
work=$build/app/test-mana/telemetry/run
source "$here/../common/emu-run.sh"
emu_run_setup "$build" "$work" testpmd
command -v dpdk-telemetry.py >/dev/null || { echo "SKIP: dpdk-telemetry.py not installed"; exit 77; }
mac0=00:0d:3a:7e:00:01
mac1=00:0d:3a:7e:00:02
prefix=tel
fail() { echo "FAIL: $*"; grep -v '^EAL: ' "$work/testpmd.log" | tail -n 30; exit 1; }

mkfifo "$work/cmd"
stdbuf -oL "$emu" --ports 2 --strict --mac $mac0 --mac $mac1 -- dpdk-testpmd -l 0-1 \
	-d librte_net_mana.so -a 7870:00:00.0 --no-huge -m 512 --file-prefix $prefix \
	--log-level 'pmd.net.mana.*:notice' -- -i --forward-mode=mac --rxq=2 --txq=2 \
	--eth-peer=0,$mac1 --eth-peer=1,$mac0 --total-num-mbufs=8192 \
	<"$work/cmd" >"$work/testpmd.log" 2>&1 &
primary=$!
trap 'kill -9 $primary 2>/dev/null' EXIT
exec 3>"$work/cmd"
wait_log() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		grep -q -- "$1" "$work/testpmd.log" && return 0
		kill -0 $primary 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
wait_log 'testpmd> ' 30 || fail "testpmd did not start"
echo "start tx_first" >&3
sleep 2
echo "stop" >&3
wait_log 'Done\.' 10 || fail "forwarding did not stop"
echo "show port stats 0" >&3
wait_log 'NIC statistics for port 0' 10 || fail "no port statistics"
sleep 0.5

timeout 20 dpdk-telemetry.py -f $prefix >"$work/telemetry.json" 2>&1 <<'CMDS'
/ethdev/list
/ethdev/info,0
/ethdev/stats,0
/ethdev/xstats,0
/ethdev/link_status,0
/ethdev/info,1
quit
CMDS
[ $? -eq 0 ] || { cat "$work/telemetry.json"; fail "dpdk-telemetry.py failed"; }
echo "quit" >&3
exec 3>&-

/usr/bin/python3 - "$work/telemetry.json" "$work/testpmd.log" "$mac0" "$mac1" \
	"$(pkg-config --modversion libdpdk)" <<'PY' || fail "telemetry values"
import json, re, sys
# one JSON object per command, in the order sent
replies = [json.loads(l) for l in open(sys.argv[1]) if l.strip().startswith('{')]
if len(replies) != 6:
    sys.exit('FAIL: %d replies to 6 commands' % len(replies))
lst, info, st, xs, ls, info1 = [list(r.values())[0] for r in replies]
log = open(sys.argv[2]).read()
mac0, mac1 = sys.argv[3].upper(), sys.argv[4].upper()
dpdk_version = tuple(int(x) for x in sys.argv[5].split('.')[:2])
bad = []
def check(what, got, want):
    ok = got == want
    print('%s: %s %s' % ('PASS' if ok else 'FAIL', what, got if ok else '%r, expected %r' % (got, want)))
    if not ok:
        bad.append(what)
check('/ethdev/list', lst, [0, 1])
check('info name', info.get('name'), '7870:00:00.0_port1')
check('info mac', str(info.get('mac_addr', '')).upper(), mac0)
check('info mtu', info.get('mtu'), 1500)
check('info rx queues', info.get('nb_rx_queues'), 2)
check('info tx queues', info.get('nb_tx_queues'), 2)
check('info started', info.get('dev_started'), 1)
m = re.search(r'NIC statistics for port 0.*?RX-packets:\s+(\d+).*?RX-bytes:\s+(\d+).*?TX-packets:\s+(\d+).*?TX-bytes:\s+(\d+)', log, re.S)
want = [int(x) for x in m.groups()] if m else None
check('stats = testpmd show port stats', [st.get('ipackets'), st.get('ibytes'), st.get('opackets'), st.get('obytes')], want)
check('stats ipackets > 1000', (st.get('ipackets') or 0) > 1000, True)
check('stats errors', [st.get('ierrors'), st.get('oerrors'), st.get('rx_nombuf')], [0, 0, 0])
# DPDK 25.11 took the per-queue arrays out of the basic stats; the driver's
# rx_q<N>_packets xstats carry them there and everywhere
if 'q_ipackets' in st or dpdk_version < (25, 11):
    check('stats per queue sum', sum((st.get('q_ipackets') or [0, 0])[:2]), st.get('ipackets'))
check('xstats per queue sum', xs.get('rx_q0_packets', 0) + xs.get('rx_q1_packets', 0), st.get('ipackets'))
check('xstats rx_good_packets', xs.get('rx_good_packets'), st.get('ipackets'))
check('xstats tx_good_bytes', xs.get('tx_good_bytes'), st.get('obytes'))
q = [k for k in xs if re.match(r'rx_q\d+_', k)]
check('xstats per-queue rx names', len(q) > 0, True)
check('info,1 name and mac', [info1.get('name'), str(info1.get('mac_addr', '')).upper()],
      ['7870:00:00.0_port2', mac1])
check('link status', [ls.get('status'), ls.get('speed'), ls.get('duplex')], ['UP', 100000, 'full-duplex'])
sys.exit(1 if bad else 0)
PY
for ((i = 0; i < 150; i++)); do kill -0 $primary 2>/dev/null || break; sleep 0.1; done
wait $primary
rc=$?
[ $rc -eq 0 ] || fail "mana-emu/testpmd exit $rc"
echo "PASS: testpmd under mana-emu --strict exited with 0"
cd / && rm -rf "$work"
