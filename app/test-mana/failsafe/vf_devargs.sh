#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The dpdk-mana authors
#
# Prints the devargs of the MANA VF whose vPort has a given MAC, for
# failsafe's exec() sub-device form; prints nothing while the VF is absent.
#
#   vf_devargs.sh <mac> [<gate file>]
#
# Failsafe runs this at its probe and again at every hotplug poll while the
# sub-device is missing, so a VF that comes back at a new PCI address (host
# servicing) is found by its MAC. With <gate file>, nothing is printed until
# that file exists: the failsafe port then starts without the VF, in safe
# mode (the workaround for failsafe's hot-unplug bug, see
# doc/guides/nics/mana.rst "Using net_mana under failsafe"). The sysfs root
# is DPDK's: SYSFS_PCI_DEVICES when set.

mac=$(printf '%s' "${1:?usage: vf_devargs.sh <mac> [<gate file>]}" | tr 'A-F' 'a-f')
gate=${2:-}
root=${SYSFS_PCI_DEVICES:-/sys/bus/pci/devices}

[ -z "$gate" ] || [ -e "$gate" ] || exit 1
for addr in "$root"/*/net/*/address; do
	[ -r "$addr" ] || continue
	[ "$(tr 'A-F' 'a-f' <"$addr")" = "$mac" ] || continue
	dev=${addr%/net/*}
	# MANA only: vendor 0x1414, device 0x00ba (VF) or 0x00b9 (PF)
	[ "$(cat "$dev/vendor")" = 0x1414 ] || continue
	case $(cat "$dev/device") in
	0x00ba|0x00b9) ;;
	*) continue ;;
	esac
	echo "${dev##*/},mac=$mac"
	exit 0
done
exit 1
