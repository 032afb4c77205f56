# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# Sourced by the legs (scripts/legs/NAME.sh LOG): `leg_log LOG` makes LOG an
# absolute path; `record NAME OK|FAIL|SKIP [REASON]` appends the case to it as
# one JSON line, says it through the leg's say(), and sets failed=1 on FAIL.
# (Not in scripts/legs/: every file there is a leg.)

failed=0
leg_log() {
	log=${1:?usage: LEG.sh LOG}
	touch "$log" && log=$(cd "$(dirname "$log")" && pwd)/$(basename "$log")
}
record() {
	printf '{"name": "%s", "result": "%s"}\n' "$1" "$2" >>"$log"
	say "$2: $1${3:+ ($3)}"
	[ "$2" = FAIL ] && failed=1
	return 0
}
