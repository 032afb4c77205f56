/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * A second process rings the doorbell page of a ucontext it did not open,
 * as a DPDK secondary does with the uverbs fd its primary hands it: it maps
 * the fd at offset 0 and its stores reach the one emulated device.
 */

#include <sys/mman.h>
#include <sys/wait.h>

#include "ev_common.h"

#define MP_OPTS "mode=step,ports=1,wire=loopback,ctl=off,coalescing=off"

static const char *self_path;

/* The other process: map @p fd's doorbell page, store @p value at @p off. */
static int
child_main(int fd, unsigned int off, uint64_t value)
{
	volatile uint64_t *db;
	void *p;

	p = mmap(NULL, 4096, PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return errno == EIO ? 3 : 2;
	db = (volatile uint64_t *)((char *)p + off);
	*db = value;
	munmap(p, 4096);
	return 0;
}

/* Run the other process on a copy of @p fd; its exit status. */
static int
run_child(int fd, unsigned int off, uint64_t value)
{
	char sfd[16], soff[16], sval[32];
	int cfd = dup(fd), status = -1;
	pid_t pid;

	if (cfd < 0)
		return -1;
	snprintf(sfd, sizeof(sfd), "%d", cfd);
	snprintf(soff, sizeof(soff), "%u", off);
	snprintf(sval, sizeof(sval), "%llu", (unsigned long long)value);
	pid = fork();
	if (pid == 0) {
		execl(self_path, self_path, "child", sfd, soff, sval, (char *)NULL);
		_exit(127);
	}
	close(cfd);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Write one TX WQE of @p len bytes without ringing; the doorbell value. */
static uint64_t
post_tx(struct ev_port *p, const void *frame, uint32_t len)
{
	uint8_t *buf = p->mem + (EV_NBUF / 2) * EV_BUF_SIZE;
	struct gdma_wqe hdr = { .dw = { 0, gdma_wqe_hdr_dw1(1, 8, 0, false) } };
	struct mana_tx_oob oob;
	struct gdma_sge sge = {
		.address = (uintptr_t)buf, .mem_key = p->mr->lkey, .size = len,
	};

	memcpy(buf, frame, len);
	memset(&oob, 0, sizeof(oob));
	MANA_SET(oob.dw, MANA_TX_OOB_PKT_FMT, MANA_SHORT_PKT_FMT);
	MANA_SET(oob.dw, MANA_TX_OOB_VCQ_NUM, p->dtx.cq_id);
	MANA_SET(oob.dw, MANA_TX_OOB_VSQ_FRAME, mana_tx_vsq_frame(p->dqp.sq_id));
	MANA_SET(oob.dw, MANA_TX_OOB_SHORT_VP_OFFSET, p->dqp.tx_vp_offset);
	p->sq_head += gdma_wq_write_wqe(p->dqp.sq_buf, p->dqp.sq_size - 1,
					p->sq_head, &hdr, &oob, 8, &sge, 1);
	return gdma_db_sq_value(p->dqp.sq_id, p->sq_head * GDMA_WQE_BU_SIZE);
}

static int
test_secondary_rings(void)
{
	struct ibv_context *ctx;
	struct gdma_cqe cqe;
	struct ev_port p;
	uint8_t frame[200], mac[6];
	uint64_t value;
	unsigned int i;
	int got = 0;

	MTEST_ASSERT_EQ(ev.init(MP_OPTS), 0);
	ctx = ev_open(0);
	MTEST_ASSERT(ctx != NULL, "errno %d", errno);
	MTEST_ASSERT_EQ(ev_port_setup(&p, ctx, 1, 64, false), 0);
	MTEST_ASSERT_EQ(ev.mac(0, 0, mac), 0);
	ev_post_rx(&p, 4);
	ev.step();

	/* the WQE is ours, the doorbell the other process's */
	ev_frame(frame, sizeof(frame), mac, mac, 77);
	value = post_tx(&p, frame, sizeof(frame));
	ev.step();
	MTEST_ASSERT_EQ(ev_poll(&p.dtx, &p.tx_cq_head, &cqe), 0);
	MTEST_ASSERT_EQ(run_child(ctx->cmd_fd, 0x000, value), 0);
	for (i = 0; i < 20 && !got; i++) {
		ev.step();
		got = ev_poll(&p.drx, &p.rx_cq_head, &cqe);
	}
	MTEST_ASSERT_EQ(got, 1);
	MTEST_ASSERT_MEM_EQ(p.mem, frame, sizeof(frame));
	MTEST_ASSERT_EQ(ev_poll(&p.dtx, &p.tx_cq_head, &cqe), 1);
	/* the device judges the other process's stores by the same rules */
	MTEST_ASSERT_EQ(run_child(ctx->cmd_fd, 0x010, 0x10000020), 0);
	ev.step();
	MTEST_ASSERT_EQ(ev.violation_count(), 1);

	MTEST_ASSERT_EQ(ev_port_teardown(&p), 0);
	MTEST_ASSERT_EQ(ibv_close_device(ctx), 0);
	MTEST_ASSERT_EQ(ev.init(MP_OPTS), 0);
	return MTEST_SUCCESS;
}

static int
test_secondary_after_close(void)
{
	struct ibv_context *ctx;
	int fd;

	MTEST_ASSERT_EQ(ev.init(MP_OPTS), 0);
	ctx = ev_open(0);
	MTEST_ASSERT(ctx != NULL, "errno %d", errno);
	fd = dup(ctx->cmd_fd);
	MTEST_ASSERT(fd >= 0, "dup");
	/* the file outlives the context in the other process: no page left */
	MTEST_ASSERT_EQ(ibv_close_device(ctx), 0);
	MTEST_ASSERT_EQ(run_child(fd, 0x000, 1), 3);
	close(fd);
	return MTEST_SUCCESS;
}

static const struct mtest_case cases[] = {
	{ "secondary_rings", test_secondary_rings },
	{ "secondary_after_close", test_secondary_after_close },
};

int
main(int argc, char **argv)
{
	int ret;

	if (argc == 5 && !strcmp(argv[1], "child"))
		return child_main(atoi(argv[2]), (unsigned int)strtoul(argv[3], NULL, 0),
				  strtoull(argv[4], NULL, 0));
	self_path = argv[0];
	if (ev_load_api() != 0)
		return 1;
	ret = mtest_run("emu-verbs-mp", cases, MTEST_N(cases), argc, argv);
	ev.fini();
	return ret;
}
