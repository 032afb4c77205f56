# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# Sourced by test scripts: `short_dir VAR DIR` sets VAR to a path of DIR
# short enough for the unix sockets placed in it (EAL's mp and telemetry
# sockets, mana-emu's control socket, socket wires: sun_path holds 108
# bytes). Files stay in DIR, in the build tree; when DIR's own path is too
# long, a private symlink to it is made in /tmp and removed at exit.
# Call it directly, not in $(...), so that the cleanup is registered.

short_dir_links=()

short_dir_cleanup() {
	local l
	for l in "${short_dir_links[@]}"; do
		rm -f "$l"
	done
}

short_dir() {
	local var=$1 dir=$2 link
	mkdir -p "$dir"
	if [ ${#dir} -le 48 ]; then
		printf -v "$var" '%s' "$dir"
		return
	fi
	link=$(mktemp -u /tmp/mana-rt.XXXXXXXX)
	ln -s "$dir" "$link"
	short_dir_links+=("$link")
	trap short_dir_cleanup EXIT
	printf -v "$var" '%s' "$link"
}
