/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * The mana-emu command: runs a program against emulated MANA devices, and
 * drives a running instance through its control socket.
 */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emu_config.h"
#include "emu_tree.h"
#include "mana_emu.h"

#ifndef EMU_INSTALL_LIB_REL
#define EMU_INSTALL_LIB_REL "../lib"
#endif

static pid_t child_pid;

static void
usage(FILE *f)
{
	fprintf(f,
"Usage: mana-emu [options] -- <command> [args...]\n"
"       mana-emu [options] --print-env\n"
"       mana-emu ctl [--dir DIR] <command>\n"
"\n"
"Runs <command> with libmana-emu.so preloaded: emulated MANA PCI functions\n"
"appear on DPDK's PCI bus (SYSFS_PCI_DEVICES) and in ibv_get_device_list.\n"
"\n"
"Options:\n"
"  --ports N         vPorts per function, 1..8 (default 1)\n"
"  --pci ADDR        PCI address (default " "7870:00:00.0" "), repeatable\n"
"  --wire W          loopback | pair | pair:<dev>.<port> | tap:IF | socket:PATH |\n"
"                    vswitch:SYN_IF:UPLINK_IF (host switch: VF + synthetic tap)\n"
"                    (default: pair for --ports 2, loopback otherwise)\n"
"  --mac MAC         MAC of the next vPort, repeatable\n"
"  --max-wr N        kernel max_qp_wr: 256 (default) or 2048 (IB-eth kernels;\n"
"                    rdma-core 44's libmana still caps queues at 256)\n"
"  --no-coalescing   RX CQE coalescing off\n"
"  --strict          violations make mana-emu exit non-zero\n"
"  --trace           decode every WQE and CQE to stderr\n"
"  --mode M          thread (default) or step\n"
"  --opt KEY=VALUE   any other libmana-emu setting, repeatable\n"
"  --config FILE     settings file (key=value lines)\n"
"  --dir DIR         use (and keep) DIR instead of a private directory\n"
"  --join DIR        run <command> as a second process of the instance that\n"
"                    runs in DIR (its first process started with --dir DIR):\n"
"                    the same functions; doorbells rung on a uverbs fd it is\n"
"                    passed (a DPDK secondary's) reach that instance's device\n"
"  --print-env       print the environment and run nothing (the directory\n"
"                    is kept) or, with a command, print it and run\n"
"  -h, --help        this text\n"
"\n"
"ctl commands (DIR: the instance directory, default $MANA_EMU_DIR):\n"
"  remove | readd [--pci A] | reset [--delay-ms N] | stats | violations |\n"
"  config | inject PORT HEXFRAME | tx-error PORT COUNT CQE_TYPE |\n"
"  garbage on|off | forge sq|rq|any KIND COUNT (KIND: wq_num, wqe_offset,\n"
"  overcount, owner, lost, none) | netdev PORT up|down  (each with [--dev N])\n"
"\n"
"Settings keys (MANA_EMU_OPTS / --opt / --config): see emu/verbs/README.md.\n");
}

static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static int
find_library(char *out, size_t len)
{
	static const char *const rel[] = {
		"../verbs/libmana-emu.so",
		EMU_INSTALL_LIB_REL "/libmana-emu.so",
		"../lib/libmana-emu.so",
	};
	char exe[PATH_MAX], cand[PATH_MAX * 2], *slash;
	ssize_t n;
	size_t i;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -errno;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash == NULL)
		return -ENOENT;
	*slash = '\0';
	for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		snprintf(cand, sizeof(cand), "%s/%s", exe, rel[i]);
		if (access(cand, R_OK) == 0 && realpath(cand, out) != NULL &&
		    strlen(out) < len)
			return 0;
	}
	return -ENOENT;
}

static int
opts_add(char *opts, size_t len, const char *key, const char *value)
{
	size_t l = strlen(opts);
	int n;

	if (value == NULL)
		n = snprintf(opts + l, len - l, "%s%s", l ? "," : "", key);
	else
		n = snprintf(opts + l, len - l, "%s%s=%s", l ? "," : "", key,
			     value);
	if (n < 0 || (size_t)n >= len - l) {
		fprintf(stderr, "mana-emu: too many options\n");
		return -1;
	}
	return 0;
}

static void
forward_signal(int sig, siginfo_t *si, void *uctx)
{
	(void)uctx;
	/* terminal-generated signals already reached the child's group */
	if (child_pid > 0 && si != NULL && si->si_code <= 0)
		kill(child_pid, sig);
}

static int
read_violations(const char *dir, int strict)
{
	char path[PATH_MAX], line[1024];
	unsigned long count = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, MANA_EMU_VIOLATIONS_FILE);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	if (fgets(line, sizeof(line), f) == NULL ||
	    sscanf(line, "violations %lu", &count) != 1) {
		fclose(f);
		return 0;
	}
	if (count > 0) {
		fprintf(stderr, "mana-emu: %lu violation%s of the device rules%s:\n",
			count, count == 1 ? "" : "s",
			strict ? "" : " (not fatal without --strict)");
		while (fgets(line, sizeof(line), f) != NULL)
			fprintf(stderr, "  %s", line);
	}
	fclose(f);
	return count > 0 && strict;
}

static int
ctl_main(int argc, char **argv)
{
	const char *dir = getenv("MANA_EMU_DIR");
	char req[4096] = "", buf[4096];
	struct sockaddr_un sa;
	int i = 1, fd, status = 0, first = 1;
	ssize_t n;
	size_t l;

	if (i < argc && !strcmp(argv[i], "--dir")) {
		if (i + 1 >= argc) {
			usage(stderr);
			return 2;
		}
		dir = argv[i + 1];
		i += 2;
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	if (dir == NULL) {
		fprintf(stderr, "mana-emu ctl: no instance: give --dir DIR or set MANA_EMU_DIR\n");
		return 2;
	}
	for (; i < argc; i++) {
		l = strlen(req);
		snprintf(req + l, sizeof(req) - l, "%s%s", l ? " " : "",
			 argv[i]);
	}
	l = strlen(req);
	snprintf(req + l, sizeof(req) - l, "\n");

	fd = open(dir, O_PATH | O_DIRECTORY);
	if (fd < 0) {
		fprintf(stderr, "mana-emu ctl: %s: %s\n", dir, strerror(errno));
		return 2;
	}
	/* through /proc/self/fd: no limit on the directory's path length */
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s", fd,
		 MANA_EMU_CTL_SOCKET);
	i = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (i < 0 || connect(i, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "mana-emu ctl: cannot reach the instance in %s: %s (is a program running under mana-emu?)\n",
			dir, strerror(errno));
		close(fd);
		if (i >= 0)
			close(i);
		return 2;
	}
	close(fd);
	fd = i;
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		fprintf(stderr, "mana-emu ctl: write: %s\n", strerror(errno));
		close(fd);
		return 2;
	}
	shutdown(fd, SHUT_WR);
	while ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		if (first) {
			first = 0;
			if (strncmp(buf, "ok", 2) != 0)
				status = 1;
		}
		fputs(buf, stdout);
	}
	close(fd);
	if (first) {
		fprintf(stderr, "mana-emu ctl: no answer\n");
		return 2;
	}
	return status;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ports", required_argument, NULL, 'p' },
		{ "pci", required_argument, NULL, 'a' },
		{ "wire", required_argument, NULL, 'w' },
		{ "mac", required_argument, NULL, 'm' },
		{ "max-wr", required_argument, NULL, 'W' },
		{ "no-coalescing", no_argument, NULL, 'C' },
		{ "strict", no_argument, NULL, 's' },
		{ "trace", no_argument, NULL, 't' },
		{ "mode", required_argument, NULL, 'M' },
		{ "opt", required_argument, NULL, 'o' },
		{ "config", required_argument, NULL, 'c' },
		{ "dir", required_argument, NULL, 'd' },
		{ "join", required_argument, NULL, 'j' },
		{ "print-env", no_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char opts[4096] = "", lib[PATH_MAX], dir[PATH_MAX] = "";
	char preload[PATH_MAX * 2], sysfs[PATH_MAX + 8], sysroot[PATH_MAX + 8], cfgpath[PATH_MAX] = "";
	const char *old;
	int c, print_env = 0, strict = 0, keep_dir = 0, join = 0, status, ret;
	struct emu_cfg cfg;
	struct sigaction sa;
	pid_t pid;

	if (argc > 1 && !strcmp(argv[1], "ctl"))
		return ctl_main(argc - 1, argv + 1);

	old = getenv("MANA_EMU_OPTS");
	if (old != NULL)
		snprintf(opts, sizeof(opts), "%s", old);
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		const char *key = NULL;
		const char *val = optarg;

		switch (c) {
		case 'p': key = "ports"; break;
		case 'a': key = "pci"; break;
		case 'w': key = "wire"; break;
		case 'm': key = "mac"; break;
		case 'W': key = "max_wr"; break;
		case 'C': key = "coalescing"; val = "off"; break;
		case 's': key = "strict"; val = "on"; strict = 1; break;
		case 't': key = "trace"; val = "on"; break;
		case 'M': key = "mode"; break;
		case 'o':
			if (strchr(optarg, '=') == NULL) {
				fprintf(stderr, "mana-emu: --opt %s: want KEY=VALUE\n",
					optarg);
				return 2;
			}
			if (opts_add(opts, sizeof(opts), optarg, NULL) != 0)
				return 2;
			break;
		case 'c':
			if (realpath(optarg, cfgpath) == NULL) {
				fprintf(stderr, "mana-emu: --config %s: %s\n",
					optarg, strerror(errno));
				return 2;
			}
			break;
		case 'd': snprintf(dir, sizeof(dir), "%s", optarg); keep_dir = 1; break;
		case 'j':
			snprintf(dir, sizeof(dir), "%s", optarg);
			keep_dir = 1;
			join = 1;
			break;
		case 'e': print_env = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
		if (key != NULL && opts_add(opts, sizeof(opts), key, val) != 0)
			return 2;
	}
	if (optind >= argc && !print_env) {
		usage(stderr);
		return 2;
	}
	{
		/* check the settings here, where the user can see the error */
		char err[256];

		emu_cfg_defaults(&cfg);
		ret = cfgpath[0] != '\0' ?
			emu_cfg_parse_file(&cfg, cfgpath, err, sizeof(err)) : 0;
		if (ret == 0)
			ret = emu_cfg_parse_opts(&cfg, opts, err, sizeof(err));
		if (ret != 0) {
			fprintf(stderr, "mana-emu: %s\n", err);
			return 2;
		}
		if (cfg.strict)
			strict = 1;
	}
	if (find_library(lib, sizeof(lib)) != 0) {
		fprintf(stderr, "mana-emu: libmana-emu.so not found next to %s (build or install it)\n",
			argv[0]);
		return 2;
	}
	if (dir[0] == '\0') {
		const char *tmp = getenv("TMPDIR");

		snprintf(dir, sizeof(dir), "%s/mana-emu.XXXXXX",
			 tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
		if (mkdtemp(dir) == NULL) {
			fprintf(stderr, "mana-emu: cannot create %s: %s\n", dir,
				strerror(errno));
			return 2;
		}
		chmod(dir, 0755);
		if (print_env && optind >= argc)
			keep_dir = 1;
	} else {
		char abs[PATH_MAX];

		if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
			fprintf(stderr, "mana-emu: cannot create %s: %s\n", dir,
				strerror(errno));
			return 2;
		}
		if (realpath(dir, abs) == NULL) {
			fprintf(stderr, "mana-emu: %s: %s\n", dir, strerror(errno));
			return 2;
		}
		snprintf(dir, sizeof(dir), "%s", abs);
	}
	if (strlen(dir) >= EMU_CFG_PATH_LEN) {
		fprintf(stderr, "mana-emu: %s: path longer than %d characters: use --dir or TMPDIR with a shorter one\n",
			dir, EMU_CFG_PATH_LEN - 1);
		if (!keep_dir)
			rmdir(dir);
		return 2;
	}
	old = getenv("LD_PRELOAD");
	if (old != NULL && old[0] != '\0')
		snprintf(preload, sizeof(preload), "%s:%s", lib, old);
	else
		snprintf(preload, sizeof(preload), "%s", lib);
	snprintf(sysfs, sizeof(sysfs), "%s/pci", dir);
	setenv("MANA_EMU_DIR", dir, 1);
	setenv("SYSFS_PCI_DEVICES", sysfs, 1);
	snprintf(sysroot, sizeof(sysroot), "%s/sys", dir);
	setenv("SYSFS_PATH", sysroot, 1);
	setenv("MANA_EMU_OPTS", opts, 1);
	if (cfgpath[0] != '\0')
		setenv("MANA_EMU_CONFIG", cfgpath, 1);
	setenv("LD_PRELOAD", preload, 1);
	if (join) {
		/* a second process of a running instance: its tree, its device */
		if (access(sysfs, F_OK) != 0) {
			fprintf(stderr, "mana-emu: --join %s: no running instance there (start the first process with --dir %s)\n",
				dir, dir);
			return 2;
		}
		setenv("MANA_EMU_JOIN", "1", 1);
		ret = 0;
	} else {
		/* the PCI tree must exist before the program's PCI scan */
		emu_cfg_finish(&cfg);
		ret = emu_tree_build(&cfg, dir);
	}
	if (ret != 0) {
		fprintf(stderr, "mana-emu: cannot build the device tree in %s: %s\n",
			dir, strerror(-ret));
		if (!keep_dir)
			nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
		return 2;
	}
	if (print_env) {
		printf("MANA_EMU_DIR=%s\n", dir);
		printf("SYSFS_PCI_DEVICES=%s\n", sysfs);
		printf("SYSFS_PATH=%s\n", sysroot);
		printf("MANA_EMU_OPTS=%s\n", opts);
		if (cfgpath[0] != '\0')
			printf("MANA_EMU_CONFIG=%s\n", cfgpath);
		printf("LD_PRELOAD=%s\n", preload);
		fflush(stdout);
		if (optind >= argc)
			return 0;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = forward_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);

	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "mana-emu: fork: %s\n", strerror(errno));
		return 2;
	}
	if (pid == 0) {
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "mana-emu: cannot run %s: %s\n", argv[optind],
			strerror(errno));
		_exit(127);
	}
	child_pid = pid;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			status = 2 << 8;
			break;
		}
	}
	if (WIFEXITED(status))
		ret = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		ret = 128 + WTERMSIG(status);
	else
		ret = 2;
	/* the first process's mana-emu reports the device's violations */
	if (!join && read_violations(dir, strict) && ret == 0)
		ret = 3;
	if (!keep_dir)
		nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return ret;
}
