# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# End-to-end failover test: mana-failover on an emulated VF and its
# synthetic tap (vSwitch wire), UDP traffic from the kernel on the uplink
# tap, the VF removed/re-added and reset under traffic; loss per event.
# Run by test_failover.sh inside `unshare -n` (it creates interfaces).

import argparse
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

VNIC_MAC = '00:0d:3a:5e:fa:01'
HOST_IP = '10.77.0.1'
VNIC_IP = '10.77.0.2'
HOST_IP6 = 'fd00:77::1'
VNIC_IP6 = 'fd00:77::2'
SYN_IF = 'msyn0'
UP_IF = 'mup0'
UDP_PORT = 9000
PCI_A = '7870:00:00.0'
PCI_B = '7870:00:01.0'

failures = []

# forwarder log lines: back on the VF (any way), by re-attach, by recovery
BACK = r'TX to VF$'
REATTACH = r'started after re-attach: TX to VF$'
RECOVERED = r'\(RECOVERY_SUCCESS\): TX to VF$'
START_FAILED = r'start failed: .*; retrying$'


def check(cond, what):
    print(('PASS: ' if cond else 'FAIL: ') + what, flush=True)
    if not cond:
        failures.append(what)
    return cond


def sh(*cmd, check_rc=True):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if check_rc and r.returncode != 0:
        raise RuntimeError('%s: exit %d: %s' % (' '.join(cmd), r.returncode, r.stdout))
    return r


class Forwarder:
    """mana-emu running mana-failover; its log is parsed for events and counters."""

    def __init__(self, a):
        self.a = a
        self.logf = open(a.log, 'w')
        self.off = 0
        self.lines = []		# log lines other than counters
        self.last_stats = ''
        # EAL's memory mode from test_failover.sh (common/mem-mode.sh)
        mem = os.environ.get('MANA_TEST_MEM_ARGS', '--no-huge -m 256').split()
        eal = ['-l', a.lcores, '-d', 'librte_net_mana.so'] + mem + [
               '--file-prefix', 'failover', '-a', '%s,mac=%s' % (PCI_A, VNIC_MAC),
               '--log-level', 'pmd.net.mana.*:notice']
        # --seconds: a bound of its own, should this script be killed
        app = ['--vf', '%s,mac=%s' % (PCI_A, VNIC_MAC),
               '--synthetic', 'net_af_packet0,iface=%s' % SYN_IF,
               '--stats-ms', '100', '--poll-ms', str(a.poll_ms),
               '--seconds', str(a.max_seconds)]
        cmd = [a.emu, '--ports', '1', '--strict', '--mac', VNIC_MAC, '--dir', a.emu_dir,
               '--opt', 'wire0=vswitch:%s:%s' % (SYN_IF, UP_IF),
               '--', a.prog] + eal + ['--'] + app
        print('+ ' + ' '.join(cmd), flush=True)
        # own process group: a failed run kills the forwarder with the emulator
        self.p = subprocess.Popen(cmd, stdout=self.logf, stderr=subprocess.STDOUT,
                                  start_new_session=True)

    def kill(self):
        try:
            os.killpg(self.p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.p.wait()

    def _update(self):
        """Read what the forwarder logged since the last call (stats lines kept apart)."""
        with open(self.a.log, errors='replace') as f:
            f.seek(self.off)
            data = f.read()
        cut = data.rfind('\n') + 1
        self.off += len(data[:cut].encode())
        for line in data[:cut].splitlines():
            m = re.match(r'^\[ *[0-9.]+\] (?:stats|final) (.*)$', line)
            if m:
                self.last_stats = m.group(1)
            else:
                self.lines.append(line)

    def log(self):
        self._update()
        return '\n'.join(self.lines)

    def count(self, pattern):
        self._update()
        return sum(1 for l in self.lines if re.search(pattern, l))

    def stats(self):
        self._update()
        d = {}
        for kv in self.last_stats.split():
            k, _, v = kv.partition('=')
            d[k] = int(v) if re.fullmatch(r'-?[0-9]+', v) else v
        return d

    def wait(self, pattern, n, timeout):
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if self.count(pattern) >= n:
                return True
            if self.p.poll() is not None:
                return self.count(pattern) >= n
            time.sleep(0.02)
        return False

    def alive(self):
        return self.p.poll() is None


def emu_ctl(a, *args):
    return sh(a.emu, 'ctl', '--dir', a.emu_dir, *args)


def emu_stats(a):
    out = emu_ctl(a, 'stats').stdout
    d = {}
    for line in out.splitlines():
        m = re.fullmatch(r'dev0\.port0\.(\w+) (\d+)', line.strip())
        if m:
            d[m.group(1)] = int(m.group(2))
        m = re.fullmatch(r'dev0\.(\w+) (\S+)', line.strip())
        if m:
            d[m.group(1)] = m.group(2)
    return d


class Traffic:
    """UDP with sequence numbers at a fixed rate; reflected copies counted."""

    def __init__(self, pps, family=socket.AF_INET):
        self.interval = 1.0 / pps
        self.family = family
        self.local, self.peer = ((HOST_IP, VNIC_IP) if family == socket.AF_INET else
                                 (HOST_IP6, VNIC_IP6))
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        # room for ~1 s of traffic, should this process be descheduled
        self.sock.setsockopt(socket.SOL_SOCKET, getattr(socket, 'SO_RCVBUFFORCE', 33), 4 << 20)
        self.sock.bind((self.local, 0))
        self.sock.settimeout(0.2)
        self.sent_t = []		# send time per sequence number
        self.recv = {}			# seq -> receive time
        self.bad = 0
        self.stop_tx = threading.Event()
        self.stop_rx = threading.Event()
        self.tx = threading.Thread(target=self._send, daemon=True)
        self.rx = threading.Thread(target=self._recv, daemon=True)

    def start(self):
        self.rx.start()
        self.tx.start()

    def _send(self):
        seq = 0
        nxt = time.monotonic()
        while not self.stop_tx.is_set():
            now = time.monotonic()
            if now < nxt:
                time.sleep(nxt - now)
                continue
            self.sent_t.append(time.monotonic())
            try:
                self.sock.sendto(struct.pack('!QQ', 0xfa11, seq) + b'x' * 48,
                                 (self.peer, UDP_PORT))
            except OSError:
                pass
            seq += 1
            nxt += self.interval
            if time.monotonic() - nxt > 0.05:	# starved: do not burst to catch up
                nxt = time.monotonic()

    def _recv(self):
        while not self.stop_rx.is_set():
            try:
                data, src = self.sock.recvfrom(2048)
            except socket.timeout:
                continue
            except OSError:
                break
            if len(data) < 16 or src[:2] != (self.peer, UDP_PORT):
                self.bad += 1
                continue
            magic, seq = struct.unpack('!QQ', data[:16])
            if magic != 0xfa11:
                self.bad += 1
                continue
            self.recv.setdefault(seq, time.monotonic())

    def received_since(self, t):
        return sum(1 for s, rt in list(self.recv.items()) if rt >= t)

    def stop(self):
        self.stop_tx.set()
        self.tx.join()
        time.sleep(0.5)
        self.stop_rx.set()
        self.rx.join()

    def loss_between(self, t0, t1):
        """Packets sent in [t0, t1) not received; longest run of them (s)."""
        sent = [(s, t) for s, t in enumerate(self.sent_t) if t0 <= t < t1]
        lost = 0
        run = longest = 0
        run_start = None
        for s, t in sent:
            if s in self.recv:
                if run_start is not None:
                    longest = max(longest, t - run_start)
                run_start = None
                run = 0
                continue
            lost += 1
            if run_start is None:
                run_start = t
            run += 1
        if run_start is not None and sent:
            longest = max(longest, sent[-1][1] - run_start + self.interval)
        return len(sent), lost, longest


def setup_net(a):
    # Both taps exist once the forwarder probed the VF.
    t0 = time.monotonic()
    while time.monotonic() - t0 < 20:
        # (/sys/class/net shows the namespace sysfs was mounted in, not ours)
        if sh('ip', 'link', 'show', 'dev', UP_IF, check_rc=False).returncode == 0 and \
           sh('ip', 'link', 'show', 'dev', SYN_IF, check_rc=False).returncode == 0:
            break
        time.sleep(0.05)
    else:
        return False
    sh('ip', 'link', 'set', 'lo', 'up')
    sh('ip', 'link', 'set', SYN_IF, 'up')
    sh('ip', 'addr', 'add', HOST_IP + '/24', 'dev', UP_IF)
    sh('ip', 'link', 'set', UP_IF, 'up')
    # nothing answers ARP for the vNIC: a static neighbour entry
    sh('ip', 'neigh', 'replace', VNIC_IP, 'lladdr', VNIC_MAC, 'dev', UP_IF, 'nud', 'permanent')
    # IPv6 on the uplink only (the reflect of IPv6 addresses and UDP checksums)
    with open('/proc/sys/net/ipv6/conf/%s/disable_ipv6' % UP_IF, 'w') as f:
        f.write('0')
    sh('ip', '-6', 'addr', 'add', HOST_IP6 + '/64', 'dev', UP_IF, 'nodad')
    sh('ip', '-6', 'neigh', 'replace', VNIC_IP6, 'lladdr', VNIC_MAC, 'dev', UP_IF,
       'nud', 'permanent')
    return True


def vf_carries(a, fwd, traffic, what, timeout=10.0):
    """The forwarded traffic goes through the VF now: emulator and forwarder VF
    counters grow, TX is on the VF, reflected packets arrive. Waits for it (up to
    timeout: a loaded machine may deschedule the forwarder), asserts no speed."""
    e0, f0 = emu_stats(a), fwd.stats()
    t0 = time.monotonic()
    while True:
        time.sleep(0.2)
        e1, f1 = emu_stats(a), fwd.stats()
        results = []
        for k in ('vsw_to_vf', 'vsw_from_vf'):
            results.append((e1.get(k, 0) > e0.get(k, 0), '%s: emulator %s grew (%d -> %d)'
                            % (what, k, e0.get(k, 0), e1.get(k, 0))))
        for k in ('vf_rx', 'vf_tx'):
            results.append((f1.get(k, 0) > f0.get(k, 0), '%s: forwarder %s grew (%d -> %d)'
                            % (what, k, f0.get(k, 0), f1.get(k, 0))))
        results.append((f1.get('tx_path') == 'vf', '%s: forwarder TX path is the VF' % what))
        results.append((traffic.received_since(t0) > 0, '%s: reflected traffic arrives' % what))
        if all(r[0] for r in results) or time.monotonic() - t0 > timeout:
            break
    ok = True
    for cond, text in results:
        ok &= check(cond, text)
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--emu', required=True)
    ap.add_argument('--prog', required=True)
    ap.add_argument('--emu-dir', required=True)
    ap.add_argument('--log', required=True)
    ap.add_argument('--removals', type=int, default=20)
    ap.add_argument('--resets', type=int, default=5)
    ap.add_argument('--removal-ms', type=int, default=0, help='0: 200, 350, 500, 800 ms in turn')
    ap.add_argument('--reset-delay-ms', type=int, default=200)
    ap.add_argument('--kernel-up', type=int, default=1,
                    help='removals after which the VF returns with its kernel interface up')
    ap.add_argument('--pps', type=int, default=1000)
    ap.add_argument('--poll-ms', type=int, default=100)
    ap.add_argument('--max-seconds', type=int, default=170,
                    help='the forwarder stops by itself after this time')
    ap.add_argument('--lcores', default='0-1',
                    help="EAL -l: '0-1' forwards on lcore 1, '0' on the main one")
    a = ap.parse_args()

    def on_signal(sig, frame):
        raise SystemExit('interrupted by signal %d' % sig)
    # meson's timeout: clean up the forwarder (in its own session) too
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    for k in ('all', 'default'):
        with open('/proc/sys/net/ipv6/conf/%s/disable_ipv6' % k, 'w') as f:
            f.write('1')
    fwd = Forwarder(a)
    try:
        return run(a, fwd)
    finally:
        if fwd.alive():
            fwd.p.send_signal(signal.SIGINT)
            try:
                fwd.p.wait(10)
            except subprocess.TimeoutExpired:
                pass
        fwd.kill()


def run(a, fwd):
    if not check(setup_net(a), 'the emulator created the synthetic and uplink taps'):
        return 1
    if not check(fwd.wait(r'started: TX to VF', 1, 20), 'the forwarder started on the VF'):
        return 1
    traffic = Traffic(a.pps)
    traffic.start()
    # a second, slower flow over IPv6 (not in the loss figures)
    traffic6 = Traffic(100, socket.AF_INET6)
    traffic6.start()
    time.sleep(1.0)
    if not vf_carries(a, fwd, traffic, 'before any event'):
        traffic.stop()
        return 1

    events = []		# (name, start time, switch-back time or None, how)
    pci = PCI_A
    # 200..500 ms, and 800 ms: longer than net_mana's 500 ms recovery poll
    periods = [200, 350, 500, 800]
    for i in range(a.removals):
        # every third re-add at the other PCI address
        new_pci = (PCI_B if pci == PCI_A else PCI_A) if i % 3 == 2 else pci
        period = periods[i % len(periods)] if a.removal_ms == 0 else a.removal_ms
        n_back, n_re = fwd.count(BACK), fwd.count(REATTACH)
        t0 = time.monotonic()
        emu_ctl(a, 'remove')
        time.sleep(period / 1000.0)
        if new_pci != pci:
            emu_ctl(a, 'readd', '--pci', new_pci)
        else:
            emu_ctl(a, 'readd')
        ok = fwd.wait(BACK, n_back + 1, 15)
        t1 = time.monotonic() if ok else None
        how = 're-attach' if fwd.count(REATTACH) > n_re else 'recovered' if ok else 'never'
        check(ok, 'removal %d (%d ms, re-add at %s): TX back on the VF (%s)'
              % (i + 1, period, new_pci, how))
        if new_pci != pci:
            check(how == 're-attach', 'removal %d: re-add at a new address %s found by MAC'
                  % (i + 1, new_pci))
        events.append(('remove %d %dms%s' % (i + 1, period, ' moved' if new_pci != pci else ''),
                       t0, t1, how))
        pci = new_pci
        if not ok or not vf_carries(a, fwd, traffic, 'after removal %d' % (i + 1)):
            break
    for i in range(a.resets if not failures else 0):
        n_back, n_rec = fwd.count(BACK), fwd.count(RECOVERED)
        t0 = time.monotonic()
        emu_ctl(a, 'reset', '--delay-ms', str(a.reset_delay_ms))
        ok = fwd.wait(BACK, n_back + 1, 15)
        t1 = time.monotonic() if ok else None
        how = 'recovered' if fwd.count(RECOVERED) > n_rec else 're-attach' if ok else 'never'
        check(ok and how == 'recovered',
              'reset %d: the PMD recovered and TX is back on the VF (%s)' % (i + 1, how))
        events.append(('reset %d %dms' % (i + 1, a.reset_delay_ms), t0, t1, how))
        if not ok or not vf_carries(a, fwd, traffic, 'after reset %d' % (i + 1)):
            break
    for i in range(a.kernel_up if not failures else 0):
        # the VF comes back with its kernel interface up: net_mana cannot
        # open the vPort (EBUSY) until it is set down; the forwarder retries
        n_back, n_fail = fwd.count(BACK), fwd.count(START_FAILED)
        emu_ctl(a, 'netdev', '0', 'up')
        t0 = time.monotonic()
        emu_ctl(a, 'remove')
        time.sleep(0.3)
        emu_ctl(a, 'readd')
        check(fwd.wait(START_FAILED, n_fail + 1, 10),
              'kernel up %d: the returning VF does not start while its kernel interface is up'
              % (i + 1))
        t_mid = time.monotonic()
        time.sleep(0.5)
        f = fwd.stats()
        check(fwd.count(BACK) == n_back and f.get('tx_path') == 'syn' and
              f.get('vf_state') != 'active',
              'kernel up %d: TX stays on the synthetic path (%s, VF %s)'
              % (i + 1, f.get('tx_path'), f.get('vf_state')))
        check(traffic.received_since(t_mid) > 0,
              'kernel up %d: traffic flows through the synthetic path meanwhile' % (i + 1))
        check(fwd.count(START_FAILED) == n_fail + 1,
              'kernel up %d: the start failure is reported once, not at every retry (%d)'
              % (i + 1, fwd.count(START_FAILED) - n_fail))
        emu_ctl(a, 'netdev', '0', 'down')
        ok = fwd.wait(BACK, n_back + 1, 15)
        t1 = time.monotonic() if ok else None
        check(ok, 'kernel up %d: re-attached once the kernel interface is down' % (i + 1))
        events.append(('kernel-up %d' % (i + 1), t0, t1, 're-attach' if ok else 'never'))
        if not ok or not vf_carries(a, fwd, traffic, 'after kernel up %d' % (i + 1)):
            break
    t_end = time.monotonic()
    time.sleep(0.5)
    traffic.stop()
    traffic6.stop()

    # loss per event: packets sent from the event until the next one
    print('\nloss per event (%d pps, %.2f ms interval; window: from the event to the next one)'
          % (a.pps, traffic.interval * 1000))
    print('%-22s %-10s %7s %6s %8s %10s %9s' % ('event', 'back by', 'sent', 'lost', 'lost ms',
                                               'longest ms', 'VF ms'))
    total_sent = total_lost = 0
    rows = []
    for k, (name, t0, t1, how) in enumerate(events):
        nxt = events[k + 1][1] if k + 1 < len(events) else t_end
        sent, lost, longest = traffic.loss_between(t0, nxt)
        total_sent += sent
        total_lost += lost
        rows.append(lost)
        print('%-22s %-10s %7d %6d %8.1f %10.1f %9s' % (
            name, how, sent, lost, lost * traffic.interval * 1000, longest * 1000,
            '%.0f' % ((t1 - t0) * 1000) if t1 else 'never'))
    print('%-22s %-10s %7d %6d %8.1f' % ('total', '', total_sent, total_lost,
                                    total_lost * traffic.interval * 1000))
    for kind, sel in (('removals', lambda e: e[0].startswith('remove')),
                      ('  re-attached',
                       lambda e: e[0].startswith('remove') and e[3] == 're-attach'),
                      ('  recovered',
                       lambda e: e[0].startswith('remove') and e[3] == 'recovered'),
                      ('resets', lambda e: e[0].startswith('reset')),
                      ('kernel-up', lambda e: e[0].startswith('kernel-up'))):
        ls = sorted(r for e, r in zip(events, rows) if sel(e))
        if ls:
            print('summary %-14s %2d events: lost packets median %d, mean %.1f, max %d'
                  ' (x %.2f ms)' % (kind, len(ls), ls[len(ls) // 2], sum(ls) / len(ls), ls[-1],
                                     traffic.interval * 1000))
    print('reflected packets with a bad payload or source: %d' % traffic.bad)
    check(traffic.bad == 0, 'every reflected packet came from %s:%d with our payload'
          % (VNIC_IP, UDP_PORT))
    print('IPv6 flow: %d sent, %d reflected back, %d bad'
          % (len(traffic6.sent_t), len(traffic6.recv), traffic6.bad))
    check(len(traffic6.recv) > 0 and traffic6.bad == 0,
          'IPv6 UDP reflected with valid checksums from [%s]:%d (%d of %d)'
          % (VNIC_IP6, UDP_PORT, len(traffic6.recv), len(traffic6.sent_t)))
    n_events = a.removals + a.resets + a.kernel_up
    check(len(events) == n_events and all(e[2] for e in events),
          'all %d events recovered' % n_events)

    st = emu_stats(a)
    print('emulator: ' + ' '.join('%s=%s' % (k, v) for k, v in sorted(st.items())
                                  if k.startswith('vsw_')))
    check(st.get('vsw_to_syn', 0) > 0 and st.get('vsw_from_syn', 0) > 0,
          'the synthetic path carried traffic during the events (vsw_to_syn %d, vsw_from_syn %d)'
          % (st.get('vsw_to_syn', 0), st.get('vsw_from_syn', 0)))

    fwd.p.send_signal(signal.SIGINT)
    try:
        rc = fwd.p.wait(30)
    except subprocess.TimeoutExpired:
        print('forwarder still running 30 s after SIGINT: killed', flush=True)
        fwd.kill()
        rc = fwd.p.returncode
    check(rc == 0, 'forwarder under mana-emu --strict exited with 0 (got %d)' % rc)
    log = fwd.log()
    f = fwd.stats()
    print('forwarder: ' + ' '.join('%s=%s' % kv for kv in f.items()))
    check(re.search(r'^mempool: 0 mbufs in use after closing every port', log, re.M) is not None,
          'mempool in-use back to its baseline (0) at exit')
    n_re = sum(1 for e in events if e[3] == 're-attach')
    n_rec = sum(1 for e in events if e[3] == 'recovered')
    check(f.get('reattach') == n_re and n_re > 0,
          'forwarder counted %d re-attaches (%s)' % (n_re, f.get('reattach')))
    check(f.get('ev_recovered') == n_rec and n_rec >= a.resets,
          'forwarder counted %d recoveries (%s)' % (n_rec, f.get('ev_recovered')))
    check(f.get('switch_to_vf', 0) >= n_events,
          'forwarder switched back to the VF at least %d times (%s)'
          % (n_events, f.get('switch_to_vf')))
    check(f.get('syn_rx', 0) > 0 and f.get('syn_tx', 0) > 0,
          'forwarder used the synthetic path (syn_rx %s, syn_tx %s)'
          % (f.get('syn_rx'), f.get('syn_tx')))
    bad = [l for l in log.splitlines()
           if re.search(r'violation|segmentation|panic|abort|cause:', l, re.I)]
    check(not bad, 'no violation or crash in the log' + ('' if not bad else ': ' + bad[0]))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
