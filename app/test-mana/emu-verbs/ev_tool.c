/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * A small verbs program the mana-emu CLI test runs under the emulator:
 * "violate" breaks a doorbell rule, "serve MS" waits for a removal, "tap IF"
 * exchanges frames with the kernel through a tap wire, "send"/"recv" talk
 * over a socket wire between two processes.
 */

#include <arpa/inet.h>
#include <net/if.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

#include "ev_common.h"

static int
tool_violate(void)
{
	struct ibv_context *ctx;
	struct ev_port p;
	int i;

	ctx = ev_open(0);
	if (ctx == NULL || ev_port_setup(&p, ctx, 1, 64, false) != 0) {
		fprintf(stderr, "ev-tool: setup failed: %s\n", strerror(errno));
		return 1;
	}
	/* a doorbell for a queue that is not on this page: a violation */
	gdma_ring_doorbell(p.dqp.db_page, 0x000,
			   gdma_db_sq_value(p.drwq.wq_id, 64));
	for (i = 0; i < 1000 && ev.violation_count() == 0; i++) {
		ev.step();	/* step mode; the device thread otherwise */
		usleep(10000);
	}
	printf("violations %llu\n", (unsigned long long)ev.violation_count());
	ev_port_teardown(&p);
	ibv_close_device(ctx);
	return ev.violation_count() != 0 ? 0 : 1;
}

static int
tool_serve(int ms)
{
	struct ibv_context *ctx;
	struct ibv_async_event e;
	struct pollfd pfd;

	ctx = ev_open(0);
	if (ctx == NULL) {
		fprintf(stderr, "ev-tool: no device: %s\n", strerror(errno));
		return 1;
	}
	printf("ready %s\n", ibv_get_device_name(ctx->device));
	fflush(stdout);
	pfd.fd = ctx->async_fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, ms) != 1 || ibv_get_async_event(ctx, &e) != 0) {
		printf("timeout\n");
		ibv_close_device(ctx);
		return 1;
	}
	printf("%s\n", e.event_type == IBV_EVENT_DEVICE_FATAL ?
	       "DEVICE_FATAL" : "other event");
	ibv_ack_async_event(&e);
	ibv_close_device(ctx);
	return e.event_type == IBV_EVENT_DEVICE_FATAL ? 0 : 1;
}

/* Packets the kernel received on @p ifname (/proc/net/dev: per netns,
 * unlike /sys, which shows the namespace that mounted it).
 */
static long
if_rx_packets(const char *ifname)
{
	char line[512], name[64];
	unsigned long long bytes, pkts;
	FILE *f = fopen("/proc/net/dev", "r");
	long ret = -1;

	if (f == NULL)
		return -1;
	snprintf(name, sizeof(name), "%s:", ifname);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *s = line;

		while (*s == ' ')
			s++;
		if (strncmp(s, name, strlen(name)) != 0)
			continue;
		if (sscanf(s + strlen(name), "%llu %llu", &bytes, &pkts) == 2)
			ret = (long)pkts;
	}
	fclose(f);
	return ret;
}

/* Device -> kernel and kernel -> device through tap interface @p ifname. */
static int
tool_tap(const char *ifname)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t frame[200], mac[6];
	struct sockaddr_ll sll;
	struct ibv_context *ctx;
	struct gdma_cqe cqe;
	struct ev_port p;
	char cmd[128];
	long before, after = 0;
	int i, fd, found = 0;
	unsigned int idx = 0;

	ctx = ev_open(0);
	if (ctx == NULL || ev_port_setup(&p, ctx, 1, 64, false) != 0) {
		fprintf(stderr, "ev-tool: setup failed: %s\n", strerror(errno));
		return 1;
	}
	snprintf(cmd, sizeof(cmd), "ip link set %s up", ifname);
	if (system(cmd) != 0) {
		fprintf(stderr, "ev-tool: %s failed\n", cmd);
		return 1;
	}
	ev.mac(0, 0, mac);
	ev_post_rx(&p, 32);

	/* device -> kernel: the tap interface receives what the vPort sends */
	before = if_rx_packets(ifname);
	for (i = 0; i < 3; i++) {
		ev_frame(frame, sizeof(frame), bcast, mac, (uint8_t)i);
		ev_send(&p, frame, sizeof(frame));
	}
	for (i = 0; i < 2000; i++) {
		after = if_rx_packets(ifname);
		if (after - before >= 3)
			break;
		usleep(5000);
	}
	printf("kernel rx_packets +%ld\n", after - before);
	if (after - before < 3)
		return 1;

	/* kernel -> device: a packet socket sends on the tap interface */
	fd = socket(AF_PACKET, SOCK_RAW, htons(0x88b5));
	if (fd < 0) {
		perror("ev-tool: packet socket");
		return 1;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, mac, 6);
	ev_frame(frame, sizeof(frame), mac, bcast, 99);
	frame[6] = 0x02;	/* unicast sender */
	if (sendto(fd, frame, sizeof(frame), 0, (struct sockaddr *)&sll,
		   sizeof(sll)) != (ssize_t)sizeof(frame)) {
		perror("ev-tool: sendto");
		return 1;
	}
	close(fd);
	for (i = 0; i < 2000 && !found; i++) {
		while (ev_poll(&p.drx, &p.rx_cq_head, &cqe) == 1) {
			const struct mana_rxcomp_oob *oob = (const void *)cqe.cqe_data;
			unsigned int k;

			/* the kernel may send its own multicast too */
			for (k = 0; k < 4; k++) {
				uint32_t len = oob->ppi[k].pkt_len_dw & 0xffff;

				if (len == 0)
					break;
				if (len == sizeof(frame) &&
				    memcmp(p.mem + (idx % (EV_NBUF / 2)) *
					   EV_BUF_SIZE, frame, len) == 0)
					found = 1;
				idx++;
				if (MANA_GET(cqe.cqe_data, MANA_CQE_HDR_CQE_TYPE) ==
				    CQE_RX_OKAY)
					break;
			}
		}
		usleep(5000);
	}
	printf("device received the kernel's frame: %s\n", found ? "yes" : "no");
	ev_port_teardown(&p);
	ibv_close_device(ctx);
	return found ? 0 : 1;
}

/* Receive @p n frames sent by "send" (another process) within @p ms. */
static int
tool_recv(unsigned int n, int ms)
{
	uint8_t frame[300], mac[6];
	struct ibv_context *ctx;
	struct gdma_cqe cqe;
	struct ev_port p;
	unsigned int got = 0;
	int i;

	ctx = ev_open(0);
	if (ctx == NULL || ev_port_setup(&p, ctx, 1, 64, false) != 0) {
		fprintf(stderr, "ev-tool: setup failed: %s\n", strerror(errno));
		return 1;
	}
	ev.mac(0, 0, mac);
	ev_post_rx(&p, 32);
	printf("ready\n");
	fflush(stdout);
	for (i = 0; i < ms && got < n; i++) {
		while (got < n && ev_poll(&p.drx, &p.rx_cq_head, &cqe) == 1) {
			const struct mana_rxcomp_oob *oob = (const void *)cqe.cqe_data;
			unsigned int k;

			for (k = 0; k < 4 && got < n; k++) {
				uint32_t len = oob->ppi[k].pkt_len_dw & 0xffff;

				if (len == 0)
					break;
				ev_frame(frame, sizeof(frame), mac, mac,
					 (uint8_t)got);
				if (len != sizeof(frame) ||
				    memcmp(p.mem + got * EV_BUF_SIZE, frame, len)) {
					printf("frame %u differs\n", got);
					return 1;
				}
				got++;
				if (MANA_GET(cqe.cqe_data, MANA_CQE_HDR_CQE_TYPE) ==
				    CQE_RX_OKAY)
					break;
			}
		}
		usleep(1000);
	}
	printf("received %u\n", got);
	ev_port_teardown(&p);
	ibv_close_device(ctx);
	return got == n ? 0 : 1;
}

/* Send @p n patterned frames to our own MAC and wait for completions. */
static int
tool_send(unsigned int n)
{
	uint8_t frame[300], mac[6];
	struct ibv_context *ctx;
	struct gdma_cqe cqe;
	struct ev_port p;
	unsigned int i, done = 0;

	ctx = ev_open(0);
	if (ctx == NULL || ev_port_setup(&p, ctx, 1, 64, false) != 0) {
		fprintf(stderr, "ev-tool: setup failed: %s\n", strerror(errno));
		return 1;
	}
	ev.mac(0, 0, mac);
	for (i = 0; i < n; i++) {
		ev_frame(frame, sizeof(frame), mac, mac, (uint8_t)i);
		ev_send(&p, frame, sizeof(frame));
	}
	for (i = 0; i < 10000 && done < n; i++) {
		while (ev_poll(&p.dtx, &p.tx_cq_head, &cqe) == 1)
			done++;
		usleep(1000);
	}
	printf("sent %u\n", done);
	ev_port_teardown(&p);
	ibv_close_device(ctx);
	return done == n ? 0 : 1;
}

int
main(int argc, char **argv)
{
	if (ev_load_api() != 0)
		return 1;
	if (argc == 2 && !strcmp(argv[1], "violate"))
		return tool_violate();
	if (argc == 3 && !strcmp(argv[1], "serve"))
		return tool_serve(atoi(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "tap"))
		return tool_tap(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "recv"))
		return tool_recv((unsigned int)atoi(argv[2]), atoi(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "send"))
		return tool_send((unsigned int)atoi(argv[2]));
	fprintf(stderr, "usage: ev-tool violate | serve MS | tap IFNAME | recv N MS | send N\n");
	return 2;
}
