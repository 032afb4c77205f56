/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * Parsing of libmana-emu's option strings and config files into struct emu_cfg.
 */

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "emu_config.h"

static int
cfg_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && len > 0) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

void
emu_cfg_defaults(struct emu_cfg *cfg)
{
	unsigned int i;

	memset(cfg, 0, sizeof(*cfg));
	cfg->n_ports = 1;
	cfg->mtu = 1500;
	cfg->max_wr = 256;
	cfg->coalescing = 1;
	cfg->ibdev_mana = 0;
	cfg->busy_errno = EBUSY;
	cfg->strict = 0;
	cfg->mode = EMU_CFG_MODE_THREAD;
	cfg->kernel2026 = 1;
	cfg->ctl = 1;
	cfg->remove_at_ms = -1;
	cfg->reset_at_ms = -1;
	cfg->readd_after_ms = -1;
	cfg->reset_delay_ms = 100;
	cfg->vswitch_flows = 1024;
	for (i = 0; i < EMU_CFG_MAX_PORTS; i++)
		cfg->netdev_up[i] = 0;
}

int
emu_cfg_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int v[6];
	char tail;
	int i;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2],
		   &v[3], &v[4], &v[5], &tail) != 6)
		return -EINVAL;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

int
emu_cfg_check_pci(const char *s)
{
	unsigned int d, b, dev, f;
	char tail;

	if (strlen(s) != 12)
		return -EINVAL;
	if (sscanf(s, "%4x:%2x:%2x.%1x%c", &d, &b, &dev, &f, &tail) != 4)
		return -EINVAL;
	if (dev > 0x1f || f > 7 || s[4] != ':' || s[7] != ':' || s[10] != '.')
		return -EINVAL;
	return 0;
}

static int
parse_long(const char *v, long min, long max, long *out)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(v, &end, 0);
	if (errno != 0 || end == v || *end != '\0' || x < min || x > max)
		return -EINVAL;
	*out = x;
	return 0;
}

static int
parse_bool(const char *v, int *out)
{
	if (!strcmp(v, "1") || !strcmp(v, "on") || !strcmp(v, "yes") ||
	    !strcmp(v, "true")) {
		*out = 1;
		return 0;
	}
	if (!strcmp(v, "0") || !strcmp(v, "off") || !strcmp(v, "no") ||
	    !strcmp(v, "false")) {
		*out = 0;
		return 0;
	}
	return -EINVAL;
}

static int
check_wire(const char *v)
{
	unsigned int d, p;
	char tail;

	if (!strcmp(v, "loopback") || !strcmp(v, "none") || !strcmp(v, "pair"))
		return 0;
	if (!strncmp(v, "pair:", 5))
		return sscanf(v + 5, "%u.%u%c", &d, &p, &tail) == 2 ? 0 : -EINVAL;
	if (!strncmp(v, "tap:", 4) && v[4] != '\0' && strlen(v + 4) < 16)
		return 0;
	if (!strncmp(v, "socket:", 7) && v[7] != '\0' &&
	    strlen(v + 7) < 100)
		return 0;
	if (!strncmp(v, "vswitch:", 8)) {
		/* vswitch:<synthetic ifname>:<uplink ifname>, distinct, 1..15 chars */
		const char *syn = v + 8, *up = strchr(syn, ':');
		size_t sl;

		if (up == NULL)
			return -EINVAL;
		sl = (size_t)(up - syn);
		up++;
		if (sl == 0 || sl > 15 || up[0] == '\0' || strlen(up) > 15 ||
		    strchr(up, ':') != NULL || strchr(up, '/') != NULL ||
		    memchr(syn, '/', sl) != NULL ||
		    (strlen(up) == sl && !strncmp(syn, up, sl)))
			return -EINVAL;
		return 0;
	}
	return -EINVAL;
}

/* "key" or "keyN": returns N in *idx, -1 without suffix */
static int
key_match(const char *key, const char *name, int *idx)
{
	size_t n = strlen(name);
	long x;

	if (strncmp(key, name, n) != 0)
		return 0;
	if (key[n] == '\0') {
		*idx = -1;
		return 1;
	}
	if (parse_long(key + n, 0, EMU_CFG_MAX_PORTS - 1, &x) != 0)
		return 0;
	*idx = (int)x;
	return 1;
}

int
emu_cfg_set(struct emu_cfg *cfg, const char *key, const char *value,
	    char *err, size_t err_len)
{
	long x;
	int b, idx, i;

	if (!strcmp(key, "pci")) {
		if (emu_cfg_check_pci(value) != 0)
			return cfg_err(err, err_len,
				"pci=%s: not a PCI address (want dddd:bb:dd.f)",
				value);
		for (i = 0; i < (int)cfg->n_devs; i++)
			if (!strcmp(cfg->pci[i], value))
				return cfg_err(err, err_len,
					"pci=%s given twice", value);
		if (cfg->n_devs == EMU_CFG_MAX_DEVS)
			return cfg_err(err, err_len,
				"pci=%s: at most %d functions", value,
				EMU_CFG_MAX_DEVS);
		snprintf(cfg->pci[cfg->n_devs], EMU_CFG_PCI_LEN, "%s", value);
		cfg->n_devs++;
		return 0;
	}
	if (!strcmp(key, "ports")) {
		if (parse_long(value, 1, EMU_CFG_MAX_PORTS, &x) != 0)
			return cfg_err(err, err_len,
				"ports=%s: want 1..%d", value,
				EMU_CFG_MAX_PORTS);
		cfg->n_ports = (unsigned int)x;
		return 0;
	}
	if (key_match(key, "mac", &idx)) {
		uint8_t mac[6];
		unsigned int dev = 0;

		if (emu_cfg_parse_mac(value, mac) != 0)
			return cfg_err(err, err_len,
				"%s=%s: not a MAC address", key, value);
		if (mac[0] & 1)
			return cfg_err(err, err_len,
				"%s=%s: multicast MAC", key, value);
		if (idx < 0) {
			/* next unset port of the first function */
			for (idx = 0; idx < EMU_CFG_MAX_PORTS; idx++)
				if (!cfg->mac_set[dev][idx])
					break;
			if (idx == EMU_CFG_MAX_PORTS)
				return cfg_err(err, err_len,
					"too many mac= settings");
		}
		memcpy(cfg->mac[dev][idx], mac, 6);
		cfg->mac_set[dev][idx] = 1;
		return 0;
	}
	if (!strcmp(key, "mtu")) {
		if (parse_long(value, 68, 9000, &x) != 0)
			return cfg_err(err, err_len, "mtu=%s: want 68..9000",
				value);
		cfg->mtu = (unsigned int)x;
		return 0;
	}
	if (!strcmp(key, "max_wr")) {
		if (parse_long(value, 1, 1 << 20, &x) != 0 ||
		    (x != 256 && x != 2048))
			return cfg_err(err, err_len,
				"max_wr=%s: want 256 or 2048", value);
		cfg->max_wr = (unsigned int)x;
		return 0;
	}
	if (!strcmp(key, "coalescing")) {
		if (parse_bool(value, &b) != 0)
			return cfg_err(err, err_len,
				"coalescing=%s: want on|off", value);
		cfg->coalescing = b;
		return 0;
	}
	if (!strcmp(key, "ibdev")) {
		cfg->ibdev_none = 0;
		if (!strcmp(value, "mana"))
			cfg->ibdev_mana = 1;
		else if (!strcmp(value, "manae"))
			cfg->ibdev_mana = 0;
		else if (!strcmp(value, "none"))
			cfg->ibdev_none = 1;
		else
			return cfg_err(err, err_len,
				"ibdev=%s: want mana|manae|none", value);
		return 0;
	}
	if (!strcmp(key, "libmana")) {
		int b;

		if (parse_bool(value, &b) != 0)
			return cfg_err(err, err_len,
				"libmana=%s: want on|off", value);
		cfg->no_libmana = !b;
		return 0;
	}
	if (!strcmp(key, "busy_errno")) {
		if (!strcmp(value, "EBUSY"))
			cfg->busy_errno = EBUSY;
		else if (!strcmp(value, "ENODEV"))
			cfg->busy_errno = ENODEV;
		else
			return cfg_err(err, err_len,
				"busy_errno=%s: want EBUSY|ENODEV", value);
		return 0;
	}
	if (key_match(key, "netdev_up", &idx)) {
		if (parse_bool(value, &b) != 0)
			return cfg_err(err, err_len, "%s=%s: want on|off",
				key, value);
		if (idx < 0) {
			for (i = 0; i < EMU_CFG_MAX_PORTS; i++)
				cfg->netdev_up[i] = b;
		} else {
			cfg->netdev_up[idx] = b;
		}
		return 0;
	}
	if (key_match(key, "wire", &idx)) {
		if (check_wire(value) != 0)
			return cfg_err(err, err_len,
				"%s=%s: want loopback|pair|pair:<dev>.<port>|tap:<ifname>|socket:<path>|vswitch:<synthetic ifname>:<uplink ifname>|none",
				key, value);
		if (idx < 0) {
			for (i = 0; i < EMU_CFG_MAX_PORTS; i++)
				snprintf(cfg->wire[i], EMU_CFG_WIRE_LEN, "%s",
					 value);
		} else {
			snprintf(cfg->wire[idx], EMU_CFG_WIRE_LEN, "%s", value);
		}
		return 0;
	}
	if (!strcmp(key, "strict") || !strcmp(key, "trace") ||
	    !strcmp(key, "tx_before_rss") || !strcmp(key, "kernel2026") ||
	    !strcmp(key, "ctl") || !strcmp(key, "pf") ||
	    !strcmp(key, "cqe8")) {
		if (parse_bool(value, &b) != 0)
			return cfg_err(err, err_len, "%s=%s: want on|off",
				key, value);
		if (!strcmp(key, "strict"))
			cfg->strict = b;
		else if (!strcmp(key, "trace"))
			cfg->trace = b;
		else if (!strcmp(key, "ctl"))
			cfg->ctl = b;
		else if (!strcmp(key, "pf"))
			cfg->pf = b;
		else if (!strcmp(key, "cqe8"))
			cfg->cqe8 = b;
		else
			cfg->kernel2026 = b;
		return 0;
	}
	if (!strcmp(key, "mode")) {
		if (!strcmp(value, "step"))
			cfg->mode = EMU_CFG_MODE_STEP;
		else if (!strcmp(value, "thread"))
			cfg->mode = EMU_CFG_MODE_THREAD;
		else
			return cfg_err(err, err_len,
				"mode=%s: want step|thread", value);
		return 0;
	}
	if (!strcmp(key, "rdma_core"))
		return cfg_err(err, err_len,
			"rdma_core=%s: the emulator no longer stands in for rdma-core: the limits of the rdma-core that runs apply (for a newer one, scripts/rdma-core.sh env)",
			value);
	if (!strcmp(key, "doorbell")) {
		if (!strcmp(value, "trap"))
			cfg->doorbell_sample = 0;
		else if (!strcmp(value, "sample"))
			cfg->doorbell_sample = 1;
		else
			return cfg_err(err, err_len,
				"doorbell=%s: want trap|sample", value);
		return 0;
	}
	if (!strcmp(key, "capture")) {
		if (parse_long(value, 0, 65536, &x) != 0)
			return cfg_err(err, err_len,
				"capture=%s: want 0..65536 frames", value);
		cfg->capture = (unsigned int)x;
		return 0;
	}
	if (!strcmp(key, "vswitch_flows")) {
		if (parse_long(value, 1, 65536, &x) != 0)
			return cfg_err(err, err_len,
				"vswitch_flows=%s: want 1..65536 flows", value);
		cfg->vswitch_flows = (unsigned int)x;
		return 0;
	}
	if (!strcmp(key, "numa_node")) {
		if (parse_long(value, -1, 7, &x) != 0)
			return cfg_err(err, err_len,
				"numa_node=%s: want -1..7", value);
		cfg->numa_node = (int)x;
		return 0;
	}
	if (!strcmp(key, "dir")) {
		if (value[0] == '\0' || strlen(value) >= EMU_CFG_PATH_LEN)
			return cfg_err(err, err_len,
				"dir=%s: empty or longer than %d", value,
				EMU_CFG_PATH_LEN - 1);
		snprintf(cfg->dir, sizeof(cfg->dir), "%s", value);
		return 0;
	}
	if (!strcmp(key, "remove_at_ms") || !strcmp(key, "reset_at_ms") ||
	    !strcmp(key, "readd_after_ms") || !strcmp(key, "reset_delay_ms")) {
		if (parse_long(value, -1, 24L * 3600 * 1000, &x) != 0)
			return cfg_err(err, err_len,
				"%s=%s: want milliseconds", key, value);
		if (!strcmp(key, "remove_at_ms"))
			cfg->remove_at_ms = x;
		else if (!strcmp(key, "reset_at_ms"))
			cfg->reset_at_ms = x;
		else if (!strcmp(key, "readd_after_ms"))
			cfg->readd_after_ms = x;
		else
			cfg->reset_delay_ms = x;
		return 0;
	}
	if (!strcmp(key, "readd_pci")) {
		if (emu_cfg_check_pci(value) != 0)
			return cfg_err(err, err_len,
				"readd_pci=%s: not a PCI address", value);
		snprintf(cfg->readd_pci, sizeof(cfg->readd_pci), "%s", value);
		return 0;
	}
	return cfg_err(err, err_len, "unknown key '%s'", key);
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int
set_item(struct emu_cfg *cfg, char *item, char *err, size_t err_len)
{
	char *eq, *key;

	item = trim(item);
	if (*item == '\0' || *item == '#')
		return 0;
	eq = strchr(item, '=');
	if (eq == NULL)
		return cfg_err(err, err_len, "'%s': want key=value", item);
	*eq = '\0';
	key = trim(item);
	return emu_cfg_set(cfg, key, trim(eq + 1), err, err_len);
}

int
emu_cfg_parse_opts(struct emu_cfg *cfg, const char *opts, char *err,
		   size_t err_len)
{
	char *copy, *item, *save = NULL;
	int ret = 0;

	if (opts == NULL)
		return 0;
	copy = strdup(opts);
	if (copy == NULL)
		return -ENOMEM;
	for (item = strtok_r(copy, ",", &save); item != NULL;
	     item = strtok_r(NULL, ",", &save)) {
		ret = set_item(cfg, item, err, err_len);
		if (ret != 0)
			break;
	}
	free(copy);
	return ret;
}

int
emu_cfg_parse_file(struct emu_cfg *cfg, const char *path, char *err,
		   size_t err_len)
{
	char line[512];
	unsigned int n = 0;
	FILE *f;
	int ret = 0;

	f = fopen(path, "r");
	if (f == NULL) {
		ret = -errno;
		snprintf(err, err_len, "config file %s: %s", path,
			 strerror(errno));
		return ret;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		n++;
		ret = set_item(cfg, line, err, err_len);
		if (ret != 0) {
			size_t l = strlen(err);

			snprintf(err + l, err_len - l, " (%s line %u)", path, n);
			break;
		}
	}
	fclose(f);
	return ret;
}

void
emu_cfg_finish(struct emu_cfg *cfg)
{
	unsigned int d, p;

	if (cfg->n_devs == 0) {
		snprintf(cfg->pci[0], EMU_CFG_PCI_LEN, "%s", EMU_CFG_DEFAULT_PCI);
		cfg->n_devs = 1;
	}
	for (d = 0; d < EMU_CFG_MAX_DEVS; d++) {
		for (p = 0; p < EMU_CFG_MAX_PORTS; p++) {
			if (cfg->mac_set[d][p])
				continue;
			/* Azure's OUI, then function and port */
			cfg->mac[d][p][0] = 0x00;
			cfg->mac[d][p][1] = 0x0d;
			cfg->mac[d][p][2] = 0x3a;
			cfg->mac[d][p][3] = 0xe0;
			cfg->mac[d][p][4] = (uint8_t)d;
			cfg->mac[d][p][5] = (uint8_t)(p + 1);
		}
	}
	for (p = 0; p < EMU_CFG_MAX_PORTS; p++) {
		if (cfg->wire[p][0] != '\0')
			continue;
		if (cfg->n_ports == 2 && p < 2)
			snprintf(cfg->wire[p], EMU_CFG_WIRE_LEN, "pair");
		else
			snprintf(cfg->wire[p], EMU_CFG_WIRE_LEN, "loopback");
	}
}

void
emu_cfg_dump(const struct emu_cfg *cfg, FILE *f)
{
	unsigned int d, p;

	for (d = 0; d < cfg->n_devs; d++)
		fprintf(f, "pci=%s\n", cfg->pci[d]);
	fprintf(f, "ports=%u\n", cfg->n_ports);
	for (p = 0; p < cfg->n_ports; p++) {
		const uint8_t *m = cfg->mac[0][p];

		fprintf(f, "mac%u=%02x:%02x:%02x:%02x:%02x:%02x\n", p,
			m[0], m[1], m[2], m[3], m[4], m[5]);
		fprintf(f, "wire%u=%s\n", p, cfg->wire[p]);
		fprintf(f, "netdev_up%u=%d\n", p, cfg->netdev_up[p]);
	}
	fprintf(f, "mtu=%u\nmax_wr=%u\ncoalescing=%d\ncqe8=%d\nibdev=%s\n",
		cfg->mtu, cfg->max_wr, cfg->coalescing, cfg->cqe8,
		cfg->ibdev_none ? "none" : cfg->ibdev_mana ? "mana" : "manae");
	fprintf(f, "libmana=%s\n", cfg->no_libmana ? "off" : "on");
	fprintf(f, "busy_errno=%s\nstrict=%d\nmode=%s\ntrace=%d\n",
		cfg->busy_errno == EBUSY ? "EBUSY" : "ENODEV", cfg->strict,
		cfg->mode == EMU_CFG_MODE_STEP ? "step" : "thread", cfg->trace);
	fprintf(f, "kernel2026=%d\ndoorbell=%s\ncapture=%u\n", cfg->kernel2026,
		cfg->doorbell_sample ? "sample" : "trap", cfg->capture);
	fprintf(f, "vswitch_flows=%u\n", cfg->vswitch_flows);
}
