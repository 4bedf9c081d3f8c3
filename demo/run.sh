#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The daxhp demo: build (or reuse) the patched kernel and the Debian 12 guest,
# boot it under QEMU/TCG with legacy pmem + soft-reserved memory, install daxhpd
# from this tree (meson install --destdir), start it under systemd with the
# example policies, create devdax devices, and show what an operator sees
# (daxhpctl status, busctl tree, journal), then power off.
#
#   demo/run.sh [--kernel patched|stock] [--shell]
#
#   --kernel stock   Debian's own kernel (no series: per-block fallback)
#   --shell          keep the guest up and run commands typed on stdin
#
# Cold (empty ${DAXHP_CACHE:-/var/cache/daxhp}): kernel ~10 min + guest ~8 min;
# warm: ~2 min, mostly the TCG boot.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KERNEL=patched SHELL_MODE=
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) KERNEL=$2; shift 2 ;;
	--kernel=*) KERNEL=${1#*=}; shift ;;
	--shell) SHELL_MODE=--shell; shift ;;
	-h|--help) sed -n '3,17p' "$0"; exit 0 ;;
	*) echo "demo: unknown argument $1" >&2; exit 2 ;;
	esac
done
say() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }

say "installing host packages (no-op when present)"
"$ROOT/tests/install-deps.sh"

say "guest root filesystem (Debian 12, debootstrap; cached)"
read -r IMG STOCK_VMLINUZ STOCK_INITRD < <("$ROOT/tests/e2e/guest/build-rootfs.sh" | tail -n1)

say "daxhpd from this tree: meson install --destdir"
OVL=$("$ROOT/tests/e2e/stage.sh" | tail -n1)

INITRD=
if [ "$KERNEL" = stock ]; then
	BZ=$STOCK_VMLINUZ INITRD=$STOCK_INITRD
else
	say "patched kernel (kernel/build.sh; cached)"
	BZ=$("$ROOT/kernel/build.sh" | tail -n1)
fi

say "booting $KERNEL kernel under QEMU/TCG"
exec python3 "$ROOT/demo/demo.py" --image "$IMG" --kernel "$BZ" ${INITRD:+--initrd "$INITRD"} \
	--overlay "$OVL" --policies "$ROOT/policy/examples" $SHELL_MODE
