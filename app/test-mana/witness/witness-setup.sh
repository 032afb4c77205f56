# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# Sourced by the witness suite's shell tests, called as
# `TEST.sh <build dir> <sdk dir> <python3> <cc>`: sets build, sdk, python3,
# cc and here, and builds Microsoft's net/mana (build_witness.sh; exits with
# its status, 77 included, when that fails).

build=$(cd "${1:?build dir}" && pwd)
sdk=${2:?sdk dir}
python3=${3:?python3}
cc=${4:?cc}
here=$(cd "$(dirname "$0")" && pwd)
"$here/build_witness.sh" "$build" "$sdk" "$python3" "$cc" || exit $?
