#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# Kernel TCP and UDP traffic for test_ovs.sh, run in the two network
# namespaces on either side of the bridge.
#
# Sinks print "ready" once bound, then their result line.
#   traffic.py tcp-sink PORT SECONDS          prints "tcp-sink BYTES SECONDS"
#   traffic.py tcp-send HOST PORT SECONDS     streams until SECONDS pass
#   traffic.py udp-sink PORT SECONDS          prints "udp-sink COUNT"
#   traffic.py udp-send HOST PORT COUNT SIZE  sends COUNT datagrams, paced
import socket
import sys
import time


def tcp_sink(port, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('0.0.0.0', port))
    s.listen(1)
    print('ready', flush=True)
    s.settimeout(seconds)
    c, _ = s.accept()
    c.settimeout(seconds)
    total, t0 = 0, time.monotonic()
    try:
        while True:
            b = c.recv(1 << 16)
            if not b:
                break
            total += len(b)
    except socket.timeout:
        pass
    print('tcp-sink %d %.3f' % (total, time.monotonic() - t0), flush=True)


def tcp_send(host, port, seconds):
    end = time.monotonic() + seconds
    c = socket.create_connection((host, port), timeout=10)
    buf = b'\x5a' * (1 << 16)
    c.settimeout(30)
    while time.monotonic() < end:
        c.sendall(buf)
    c.shutdown(socket.SHUT_WR)
    c.close()


def udp_sink(port, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # room for every datagram while this process waits for a CPU (as root:
    # beyond net.core.rmem_max)
    s.setsockopt(socket.SOL_SOCKET, getattr(socket, 'SO_RCVBUFFORCE', 33), 16 << 20)
    s.bind(('0.0.0.0', port))
    print('ready', flush=True)
    s.settimeout(seconds)
    n, seen = 0, set()
    try:
        while True:
            b = s.recv(65536)
            seq = int.from_bytes(b[:4], 'big')
            if seq not in seen and b[4:] == bytes(len(b) - 4):
                seen.add(seq)
                n += 1
    except socket.timeout:
        pass
    print('udp-sink %d' % n, flush=True)


def udp_send(host, port, count, size):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(count):
        s.sendto(i.to_bytes(4, 'big') + bytes(size - 4), (host, port))
        if i % 2 == 1:
            time.sleep(0.001)	# 2000 datagrams/s: 2 shared cores


cmd = sys.argv[1]
if cmd == 'tcp-sink':
    tcp_sink(int(sys.argv[2]), float(sys.argv[3]))
elif cmd == 'tcp-send':
    tcp_send(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
elif cmd == 'udp-sink':
    udp_sink(int(sys.argv[2]), float(sys.argv[3]))
elif cmd == 'udp-send':
    udp_send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
else:
    sys.exit('unknown command ' + cmd)
