/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * The control-socket command language of libmana-emu (mana-emu ctl).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu_verbs_priv.h"
#include "mana_emu.h"

#define CTL_MAX_ARGS 16

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
parse_uint(const char *s, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || v > 0xffffffffu)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

static void
reply(char *out, size_t len, int ret, const char *what)
{
	if (ret == 0)
		snprintf(out, len, "ok\n");
	else
		snprintf(out, len, "error: %s: %s\n", what, strerror(-ret));
}

void
emu_ctl_handle(const char *req, char *out, size_t out_len)
{
	char *copy, *argv[CTL_MAX_ARGS], *save = NULL, *tok;
	const char *pci = NULL;
	unsigned int dev = 0, delay = 0, a, b, c;
	int argc = 0, i, j, ret;

	copy = strdup(req);
	if (copy == NULL) {
		snprintf(out, out_len, "error: out of memory\n");
		return;
	}
	for (tok = strtok_r(copy, " \t\r\n", &save);
	     tok != NULL && argc < CTL_MAX_ARGS;
	     tok = strtok_r(NULL, " \t\r\n", &save))
		argv[argc++] = tok;
	/* common options, removed from argv */
	for (i = 0, j = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--dev") && i + 1 < argc) {
			if (parse_uint(argv[++i], &dev) != 0)
				goto usage;
		} else if (!strcmp(argv[i], "--pci") && i + 1 < argc) {
			pci = argv[++i];
		} else if (!strcmp(argv[i], "--delay-ms") && i + 1 < argc) {
			if (parse_uint(argv[++i], &delay) != 0)
				goto usage;
		} else {
			argv[j++] = argv[i];
		}
	}
	argc = j;
	if (argc == 0)
		goto usage;

	if (!strcmp(argv[0], "remove") && argc == 1) {
		reply(out, out_len, mana_emu_remove(dev), "remove");
	} else if (!strcmp(argv[0], "readd") && argc == 1) {
		reply(out, out_len, mana_emu_readd(dev, pci), "readd");
	} else if (!strcmp(argv[0], "reset") && argc == 1) {
		reply(out, out_len, mana_emu_reset(dev, delay), "reset");
	} else if (!strcmp(argv[0], "stats") && argc == 1) {
		snprintf(out, out_len, "ok\n");
		mana_emu_stats_text(out + 3, out_len - 3);
	} else if (!strcmp(argv[0], "violations") && argc == 1) {
		int n = snprintf(out, out_len, "ok\nviolations %llu\n",
				 (unsigned long long)mana_emu_violation_count());

		if (n > 0 && (size_t)n < out_len)
			mana_emu_violations_text(out + n, out_len - (size_t)n);
	} else if (!strcmp(argv[0], "config") && argc == 1) {
		FILE *f = fmemopen(out, out_len, "w");

		if (f == NULL) {
			reply(out, out_len, -errno, "config");
		} else {
			fprintf(f, "ok\n");
			pthread_mutex_lock(&emu_rt_lock);
			emu_rt_dump_config(f);
			pthread_mutex_unlock(&emu_rt_lock);
			fclose(f);
		}
	} else if (!strcmp(argv[0], "inject") && argc == 3) {
		size_t n = strlen(argv[2]) / 2, k;
		uint8_t *frame;

		if (parse_uint(argv[1], &a) != 0 || strlen(argv[2]) % 2 != 0 ||
		    n == 0)
			goto usage;
		frame = malloc(n);
		if (frame == NULL) {
			reply(out, out_len, -ENOMEM, "inject");
			goto done;
		}
		for (k = 0; k < n; k++) {
			int hi = hexval(argv[2][2 * k]);
			int lo = hexval(argv[2][2 * k + 1]);

			if (hi < 0 || lo < 0) {
				free(frame);
				goto usage;
			}
			frame[k] = (uint8_t)(hi << 4 | lo);
		}
		ret = mana_emu_inject_rx(dev, a, frame, n);
		if (ret == 0)
			mana_emu_step();	/* no-op in thread mode */
		free(frame);
		reply(out, out_len, ret, "inject");
	} else if (!strcmp(argv[0], "tx-error") && argc == 4) {
		if (parse_uint(argv[1], &a) != 0 || parse_uint(argv[2], &b) != 0 ||
		    parse_uint(argv[3], &c) != 0)
			goto usage;
		reply(out, out_len, mana_emu_inject_tx_error(dev, a, b, c),
		      "tx-error");
	} else if (!strcmp(argv[0], "garbage") && argc == 2) {
		reply(out, out_len, mana_emu_set_garbage_cqe(dev,
			!strcmp(argv[1], "on")), "garbage");
	} else if (!strcmp(argv[0], "forge") && argc == 4) {
		static const char *const kinds[] = {
			"none", "wq_num", "wqe_offset", "overcount", "owner", "lost",
		};
		unsigned int t = !strcmp(argv[1], "sq") ? MANA_EMU_FORGE_SQ :
				 !strcmp(argv[1], "rq") ? MANA_EMU_FORGE_RQ :
				 !strcmp(argv[1], "any") ? MANA_EMU_FORGE_SQ | MANA_EMU_FORGE_RQ : 0;

		for (a = 0; a < sizeof(kinds) / sizeof(kinds[0]) && strcmp(argv[2], kinds[a]) != 0; a++)
			;
		if (t == 0 || a == sizeof(kinds) / sizeof(kinds[0]) || parse_uint(argv[3], &b) != 0)
			goto usage;
		reply(out, out_len, mana_emu_forge_cqe(dev, t, a, b), "forge");
	} else if (!strcmp(argv[0], "netdev") && argc == 3) {
		if (parse_uint(argv[1], &a) != 0)
			goto usage;
		reply(out, out_len, mana_emu_set_netdev_up(dev, a,
			!strcmp(argv[2], "up")), "netdev");
	} else {
		goto usage;
	}
done:
	free(copy);
	return;
usage:
	snprintf(out, out_len,
		 "error: usage: remove | readd [--pci A] | reset [--delay-ms N] | stats | violations | config | inject PORT HEX | tx-error PORT COUNT CQE_TYPE | garbage on|off | forge sq|rq|any wq_num|wqe_offset|overcount|owner|lost|none COUNT | netdev PORT up|down  [--dev N]\n");
	free(copy);
}
