/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * A small verbs program the mana-emu CLI test runs under the emulator:
 * "violate" breaks a doorbell rule, "serve MS" waits for a removal.
 */

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
	for (i = 0; i < 200 && ev.violation_count() == 0; i++) {
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

int
main(int argc, char **argv)
{
	if (ev_load_api() != 0)
		return 1;
	if (argc == 2 && !strcmp(argv[1], "violate"))
		return tool_violate();
	if (argc == 3 && !strcmp(argv[1], "serve"))
		return tool_serve(atoi(argv[2]));
	fprintf(stderr, "usage: ev-tool violate | serve MS\n");
	return 2;
}
