# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# Sourced by the run scripts: EAL's memory options for the memory mode the
# environment asks for, and a wrapper that runs a command in it.
#
#   MANA_TEST_MEM=nohuge (default)  --no-huge -m SIZE: anonymous memory, fixed
#   MANA_TEST_MEM=huge              2 MiB hugepages, dynamic memory (grows)
#   MANA_TEST_MEM=legacy            2 MiB hugepages, --legacy-mem -m SIZE
#
# `mem_mode_setup SIZE_MB DIR` sets the array mem_args and, in the hugepage
# modes, checks that enough hugepages are free (exit 77 with a SKIP line
# otherwise: scripts/test.sh reserves them as root). `mem_run CMD...` runs
# CMD with hugetlbfs mounted on DIR/huge inside a private mount namespace
# (unshare -m), so the host's mounts are never touched; in nohuge mode it
# runs CMD as it is. For a command in the background, `"${mem_prefix[@]}"
# CMD... &` keeps $! the command's own pid. MANA_TEST_HUGE_MB (default SIZE_MB) is what a
# dynamic-memory run may need at its peak.

mem_mode_setup() {
	local size=$1 dir=$2 need free
	mem_mode=${MANA_TEST_MEM:-nohuge}
	mem_huge_dir=$dir/huge
	mem_prefix=()
	case $mem_mode in
	nohuge)
		mem_args=(--no-huge -m "$size")
		return 0 ;;
	huge)
		mem_args=(--huge-dir "$mem_huge_dir")
		need=${MANA_TEST_HUGE_MB:-$size} ;;
	legacy)
		mem_args=(--legacy-mem -m "$size" --huge-dir "$mem_huge_dir")
		need=$size ;;
	*)
		echo "FAIL: MANA_TEST_MEM=$mem_mode: use nohuge, huge or legacy"
		exit 1 ;;
	esac
	free=$(awk '/^HugePages_Free:/ { print $2 * 2 }' /proc/meminfo)
	if [ "$(awk '/^Hugepagesize:/ { print $2 }' /proc/meminfo)" != 2048 ] ||
	   [ "${free:-0}" -lt "$need" ]; then
		echo "SKIP: $mem_mode mode needs ${need} MiB of free 2 MiB hugepages, ${free:-0} MiB free" \
			"(scripts/test.sh reserves them when run as root)"
		exit 77
	fi
	if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null; then
		echo "SKIP: $mem_mode mode mounts hugetlbfs in a private mount namespace: needs root and unshare"
		exit 77
	fi
	mkdir -p "$mem_huge_dir"
	# unshare and sh exec: the command keeps their pid (for kill and wait)
	mem_prefix=(unshare -m -- /bin/sh -c
		'mount -t hugetlbfs -o pagesize=2M nodev "$0" || exit 1; exec "$@"'
		"$mem_huge_dir")
}

mem_run() {
	"${mem_prefix[@]}" "$@"
}
