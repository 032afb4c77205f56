/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 */

/*
 * Lists the verbs devices, then prints each rdma-core library mapped into
 * the process, so a test sees which libibverbs ran and which providers it
 * loaded. Linked with libibverbs only: a libmana in the maps was loaded
 * by libibverbs as a provider.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <infiniband/verbs.h>

#define MAX_LIBS 32

static int
is_rdma_lib(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base != NULL ? base + 1 : path;
	return strncmp(base, "libibverbs.so", 13) == 0 ||
		strncmp(base, "libmana", 7) == 0 ||
		strstr(base, "-rdmav") != NULL;
}

/* Prints "map <path>" once for each rdma-core library mapped. */
static int
print_maps(void)
{
	static char seen[MAX_LIBS][4096];
	char line[4096 + 256];
	int nseen = 0, i;
	FILE *f;

	f = fopen("/proc/self/maps", "r");
	if (f == NULL) {
		printf("error: cannot read /proc/self/maps: %s\n", strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *path = strchr(line, '/');

		if (path == NULL)
			continue;
		path[strcspn(path, "\n")] = '\0';
		if (!is_rdma_lib(path))
			continue;
		for (i = 0; i < nseen && strcmp(seen[i], path) != 0; i++)
			;
		if (i < nseen || nseen == MAX_LIBS)
			continue;
		snprintf(seen[nseen++], sizeof(seen[0]), "%s", path);
		printf("map %s\n", path);
	}
	fclose(f);
	return 0;
}

int
main(void)
{
	struct ibv_device **list;
	int n = -1, i;

	list = ibv_get_device_list(&n);
	if (list == NULL) {
		printf("devices error %s\n", strerror(errno));
	} else {
		printf("devices %d\n", n);
		for (i = 0; i < n; i++)
			printf("device %s\n", ibv_get_device_name(list[i]));
		ibv_free_device_list(list);
	}
	return print_maps() == 0 ? 0 : 1;
}
