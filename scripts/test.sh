#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# Sets everything up on a Debian 12 machine, builds, and runs every test
# suite (all but `perf`). Ends with the line "N passed, N failed".
#
#   scripts/test.sh                  # everything
#   scripts/test.sh --suite unit     # extra arguments go to `meson test`
#
# BUILD_DIR overrides the build directory (default: build/ in the checkout).

set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$top/build}

"$top/scripts/setup.sh"

if [ -f "$build/build.ninja" ]; then
	meson setup --reconfigure "$build" "$top" >/dev/null
else
	meson setup "$build" "$top" >/dev/null
fi
ninja -C "$build"

args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--no-suite perf)

rc=0
meson test -C "$build" --print-errorlogs "${args[@]}" || rc=$?

# Count test cases from the log meson writes (one JSON object per line).
/usr/bin/python3 - "$build/meson-logs/testlog.json" <<'PY'
import json, sys
counts = {"passed": 0, "failed": 0, "skipped": 0}
for line in open(sys.argv[1]):
    line = line.strip()
    if not line:
        continue
    r = json.loads(line).get("result", "")
    if r in ("OK", "EXPECTEDFAIL"):
        counts["passed"] += 1
    elif r == "SKIP":
        counts["skipped"] += 1
    else:
        counts["failed"] += 1
print("%d passed, %d failed, %d skipped" % (counts["passed"], counts["failed"], counts["skipped"]))
PY
exit $rc
