#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# daxhp end-to-end acceptance test (issue 5): Debian 12 guest under systemd in
# QEMU/TCG, daxhpd from this tree installed with `meson install --destdir`.
#
#   tests/e2e/run.sh [--kernel patched|stock|mainline|all] [--steps 1,2,..] [-v]
#
#   patched   kernel/build.sh's bzImage (this project's series): steps 1-8, 10
#   stock     Debian's linux-image-amd64 from the guest rootfs:   steps 1,2,9
#   pristine  kernel/build.sh --no-series (7.2, all built in):      steps 1,2,9
#   mainline  Linux 7.3 without the series (upstream `state`):     steps 1-8;
#             bzImage from $DAXHP_MAINLINE_BZIMAGE, else kernel/build.sh
#             --mainline (fetches Debian's linux-source-7.3, see MAINLINE-7.3.md)
#   all       (default) patched then stock, and mainline if its bzImage exists
#
# Prints "ok/not ok <kernel>.<step> - ..." per step and, last, exactly
# "N passed, N failed".  Exit status 1 on any failure.  Every guest command
# has a timeout, so a hang fails instead of stalling.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/follow.sh"
KERNELS=all STEPS= VERBOSE=
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) KERNELS=$2; shift 2 ;;
	--kernel=*) KERNELS=${1#*=}; shift ;;
	--steps) STEPS=$2; shift 2 ;;
	--steps=*) STEPS=${1#*=}; shift ;;
	-v) VERBOSE=-v; shift ;;
	-h|--help) sed -n '3,21p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
if [ "$KERNELS" = all ]; then
	KERNELS="patched stock"
	[ -n "${DAXHP_MAINLINE_BZIMAGE:-}" ] && KERNELS="$KERNELS mainline"
fi

WORK=$(mktemp -d /tmp/daxhp-e2e.XXXXXX)
passed=0 failed=0
t() { date +%s; }
note() { echo "# $*"; }
result() { # ok|not-ok name
	if [ "$1" = ok ]; then passed=$((passed + 1)); echo "ok $2"; else failed=$((failed + 1)); echo "not ok $2"; fi
}

t0=$(t)
if out=$("$HERE/guest/build-rootfs.sh" 2>"$WORK/rootfs.log" | tail -n1) && [ -n "$out" ]; then
	read -r IMG STOCK_VMLINUZ STOCK_INITRD <<<"$out"
	result ok "rootfs - Debian 12 guest image ($(( $(t) - t0 )) s)"
else
	result not-ok "rootfs - guest image (see $WORK/rootfs.log)"; tail -n 20 "$WORK/rootfs.log" | sed 's/^/#   /'
	echo "$passed passed, $failed failed"; exit 1
fi
t0=$(t)
if OVL=$("$HERE/stage.sh" 2>"$WORK/stage.log" | tail -n1) && [ -n "$OVL" ]; then
	result ok "stage - daxhpd meson install --destdir ($(( $(t) - t0 )) s)"
else
	result not-ok "stage - daxhpd build/install (see $WORK/stage.log)"; tail -n 20 "$WORK/stage.log" | sed 's/^/#   /'
	echo "$passed passed, $failed failed"; exit 1
fi

for k in $KERNELS; do
	KERNEL= INITRD=
	case $k in
	stock) KERNEL=$STOCK_VMLINUZ INITRD=$STOCK_INITRD ;;
	patched|pristine)
		t0=$(t)
		flags=; [ $k = pristine ] && flags=--no-series
		# kernel/build.sh is a no-op when its artefact is cached.
		if KERNEL=$("$ROOT/kernel/build.sh" $flags 2>"$WORK/kernel-$k.log" | tail -n1) && [ -f "$KERNEL" ]; then
			result ok "$k.kernel - bzImage $KERNEL ($(( $(t) - t0 )) s)"
		else
			result not-ok "$k.kernel - kernel/build.sh $flags failed (see $WORK/kernel-$k.log)"
			tail -n 10 "$WORK/kernel-$k.log" | sed 's/^/#   /'
			continue
		fi ;;
	mainline)
		t0=$(t)
		KERNEL=${DAXHP_MAINLINE_BZIMAGE:-}
		if [ -n "$KERNEL" ]; then
			if [ ! -f "$KERNEL" ]; then
				result not-ok "mainline.kernel - DAXHP_MAINLINE_BZIMAGE=$KERNEL: no such file"
				continue
			fi
			result ok "mainline.kernel - bzImage $KERNEL (DAXHP_MAINLINE_BZIMAGE)"
		# Fetches linux-source-7.3 from experimental and builds it, once; cached after.
		elif KERNEL=$("$ROOT/kernel/build.sh" --mainline 2>"$WORK/kernel-$k.log" | tail -n1) && [ -f "$KERNEL" ]; then
			result ok "$k.kernel - bzImage $KERNEL ($(( $(t) - t0 )) s)"
		else
			result not-ok "$k.kernel - kernel/build.sh --mainline failed (see $WORK/kernel-$k.log)"
			tail -n 10 "$WORK/kernel-$k.log" | sed 's/^/#   /'
			continue
		fi ;;
	*) echo "run.sh: unknown kernel $k" >&2; exit 2 ;;
	esac
	mkdir -p "$WORK/$k"
	follow_scenario "$WORK/$k/scenario.out" "$k" \
		python3 "$HERE/scenario.py" --image "$IMG" --kernel "$KERNEL" ${INITRD:+--initrd "$INITRD"} \
		--overlay "$OVL" --flavour "$k" --workdir "$WORK/$k" ${STEPS:+--steps "$STEPS"} $VERBOSE
done
note "logs: $WORK"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
