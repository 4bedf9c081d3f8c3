#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a bzImage + initramfs under QEMU/TCG, serial console captured to a log.
#
#   kernel/qemu/run-vm.sh --kernel BZIMAGE --initrd CPIO --log FILE
#                         [--mem 6G] [--memmap SPEC]... [--append "ARGS"]
#                         [--timeout SECONDS] [--test NAME[,NAME]] [--qemu ARG]...
#
# --memmap SPEC adds "memmap=SPEC" to the command line (repeatable), e.g.
#   --memmap '1152M!4G'                 legacy pmem (region for ndctl)
#   --memmap '1G%6G-1+0xefffffff'       soft-reserved memory -> hmem region
# --qemu ARG passes one more argument to QEMU (repeatable), e.g. -numa options.
# --test sets daxhp.test=... for the initramfs /init; the guest watchdog
# (daxhp.timeout) is set a little below the host timeout.
# The host timeout kills QEMU (by its pid) and fails with exit code 124.
# Exit status: 0 when the guest reached DAXHP-DONE and powered off, 124 on
# host timeout, 2 when the guest ended without DAXHP-DONE (panic, watchdog).
# Override the emulator with $QEMU; accelerator is TCG (KVM hangs here).
set -uo pipefail

KERNEL= INITRD= LOG= MEM=6G TIMEOUT=300 APPEND= TESTS=
MEMMAPS=() QARGS=()
die() { echo "run-vm.sh: error: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) KERNEL=$2; shift 2 ;;
	--initrd) INITRD=$2; shift 2 ;;
	--log) LOG=$2; shift 2 ;;
	--mem) MEM=$2; shift 2 ;;
	--memmap) MEMMAPS+=("$2"); shift 2 ;;
	--append) APPEND="$APPEND $2"; shift 2 ;;
	--timeout) TIMEOUT=$2; shift 2 ;;
	--test) TESTS=$2; shift 2 ;;
	--qemu) QARGS+=("$2"); shift 2 ;;
	-h|--help) sed -n '3,22p' "$0"; exit 0 ;;
	*) die "unknown argument: $1" ;;
	esac
done
[ -f "$KERNEL" ] || die "--kernel BZIMAGE missing"
[ -f "$INITRD" ] || die "--initrd CPIO missing"
[ -n "$LOG" ] || die "--log FILE missing"
QEMU=${QEMU:-qemu-system-x86_64}

CMDLINE="console=ttyS0,115200 panic=-1 oops=panic loglevel=7 printk.devkmsg=on log_buf_len=4M"
for m in ${MEMMAPS[@]+"${MEMMAPS[@]}"}; do CMDLINE="$CMDLINE memmap=$m"; done
GUEST_TO=$((TIMEOUT > 60 ? TIMEOUT - 30 : TIMEOUT * 3 / 4))
CMDLINE="$CMDLINE daxhp.timeout=$GUEST_TO${TESTS:+ daxhp.test=$TESTS}$APPEND"

mkdir -p "$(dirname "$LOG")"
: >"$LOG"
echo "run-vm.sh: $QEMU -m $MEM, timeout ${TIMEOUT}s, append: $CMDLINE" >&2
t0=$(date +%s)
"$QEMU" -accel tcg -cpu max -smp 1 -m "$MEM" -nodefaults -display none \
	-monitor none -no-reboot -serial "file:$LOG" \
	-kernel "$KERNEL" -initrd "$INITRD" -append "$CMDLINE" ${QARGS[@]+"${QARGS[@]}"} </dev/null &
QPID=$!
rc=
while kill -0 "$QPID" 2>/dev/null; do
	if [ $(($(date +%s) - t0)) -ge "$TIMEOUT" ]; then
		echo "run-vm.sh: host timeout after ${TIMEOUT}s, killing qemu pid $QPID" >&2
		kill -KILL "$QPID" 2>/dev/null
		echo "DAXHP-HOST-TIMEOUT after ${TIMEOUT}s" >>"$LOG"
		rc=124
		break
	fi
	sleep 0.5
done
wait "$QPID" 2>/dev/null
echo "run-vm.sh: guest ran $(($(date +%s) - t0))s, log $LOG" >&2
[ -n "$rc" ] && exit $rc
grep -q '^DAXHP-DONE' "$LOG" || { echo "run-vm.sh: guest did not finish (no DAXHP-DONE)" >&2; exit 2; }
exit 0
