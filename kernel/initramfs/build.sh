#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the daxhp test initramfs (gzip'd newc cpio) for one kernel.
#
#   kernel/initramfs/build.sh --bzimage PATH [--selftest DIR] [--tests DIR]...
#
# Contents: busybox (static) as the userland, bash (the in-tree selftest is a
# bash script), ndctl + daxctl with their shared libraries (found with ldd), kernel/initramfs/init as /init, a static
# daxhp-util helper (kernel/initramfs/daxhp-util.c), every *.sh of each
# --tests DIR under /tests/, the in-tree selftest (--selftest: the
# tools/testing/selftests directory of a patched tree; dax/ and
# kselftest/ktap_helpers.sh are copied to /tests/selftests/), and
# /lib/modules/<release>/modules.builtin* + a depmod index so libkmod (daxctl,
# ndctl) finds the built-in kmem/device_dax/dax_pmem drivers.
# <release> and modules.builtin come from the kernel build next to the
# bzImage (kernel/build.sh writes "kernelrelease=" into out/<key>/info); when
# the build has no modules.builtin (no CONFIG_MODULES) one is synthesised
# from the .config for the dax/nvdimm drivers.
#
# Cached under ${DAXHP_CACHE:-/var/cache/daxhp}/initramfs/<key>.cpio.gz, key =
# sha256 of every input; prints the path as the last line of stdout.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${DAXHP_CACHE:-/var/cache/daxhp}
log() { echo "initramfs/build.sh: $*" >&2; }
die() { echo "initramfs/build.sh: error: $*" >&2; exit 1; }

BZ= SELFTEST=
TESTDIRS=()
while [ $# -gt 0 ]; do
	case $1 in
	--bzimage) BZ=$2; shift 2 ;;
	--selftest) SELFTEST=$2; shift 2 ;;
	--tests) TESTDIRS+=("$2"); shift 2 ;;
	-h|--help) sed -n '3,22p' "$0" >&2; exit 0 ;;
	*) die "unknown argument $1" ;;
	esac
done
[ -f "$BZ" ] || die "--bzimage PATH required"
KOUT=$(cd "$(dirname "$BZ")" && pwd)
BUSYBOX=$(command -v busybox) || die "busybox-static not installed"
file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked' ||
	ldd "$BUSYBOX" 2>&1 | grep -q 'not a dynamic' || die "$BUSYBOX is not static (apt-get install busybox-static)"
for b in bash ndctl daxctl depmod cpio gcc; do command -v $b >/dev/null || die "$b not found"; done

# Kernel release.
KREL=
[ -f "$KOUT/info" ] && KREL=$(sed -n 's/^kernelrelease=//p' "$KOUT/info")
if [ -z "$KREL" ]; then
	KREL=$(strings "$BZ" | sed -n 's/^\([0-9]\+\.[0-9]\+[^ ]*\) (.*#.*/\1/p' | head -n1)
fi
[ -n "$KREL" ] || die "cannot determine the kernel release of $BZ"

# modules.builtin: from the build, or synthesised from .config.
BUILTIN=$(mktemp)
BUILTIN_MODINFO=
trap 'rm -f "$BUILTIN"' EXIT
BDIR=
if [ -f "$KOUT/info" ]; then
	# kernel/build.sh layout: build/<version>-<variant>-<flavour> holds the O= tree
	BDIR=$CACHE/build/$(sed -n 's/^version=//p' "$KOUT/info")-$(sed -n 's/^variant=//p' "$KOUT/info")-$(sed -n 's/^flavour=//p' "$KOUT/info")
fi
for d in "$KOUT" $BDIR; do
	if [ -s "$d/modules.builtin" ]; then
		cp "$d/modules.builtin" "$BUILTIN"
		[ -s "$d/modules.builtin.modinfo" ] && BUILTIN_MODINFO=$d/modules.builtin.modinfo
		break
	fi
done
if [ ! -s "$BUILTIN" ]; then
	CFG=$KOUT/.config
	[ -f "$CFG" ] || die "no .config next to $BZ"
	while read -r sym path; do
		grep -q "^$sym=y" "$CFG" && echo "$path"
	done >"$BUILTIN" <<-'MAP'
	CONFIG_DAX drivers/dax/dax.ko
	CONFIG_DEV_DAX drivers/dax/device_dax.ko
	CONFIG_DEV_DAX_KMEM drivers/dax/kmem.ko
	CONFIG_DEV_DAX_PMEM drivers/dax/dax_pmem.ko
	CONFIG_DEV_DAX_HMEM drivers/dax/hmem/dax_hmem.ko
	CONFIG_DEV_DAX_HMEM_DEVICES drivers/dax/hmem/device_hmem.ko
	CONFIG_LIBNVDIMM drivers/nvdimm/libnvdimm.ko
	CONFIG_BLK_DEV_PMEM drivers/nvdimm/nd_pmem.ko
	CONFIG_ND_BTT drivers/nvdimm/nd_btt.ko
	CONFIG_X86_PMEM_LEGACY drivers/nvdimm/nd_e820.ko
	MAP
fi

BINS=("$(command -v bash)" "$(command -v ndctl)" "$(command -v daxctl)")
FILES=("$BUSYBOX" "$HERE/init" "$HERE/daxhp-util.c" "$0" "${BINS[@]}")
LIBS=$(ldd "${BINS[@]}" | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }' | sort -u)
TESTFILES=()
for d in ${TESTDIRS[@]+"${TESTDIRS[@]}"}; do
	[ -d "$d" ] || die "--tests $d is not a directory"
	for f in "$d"/*.sh; do [ -f "$f" ] && TESTFILES+=("$f"); done
done
STFILES=()
if [ -n "$SELFTEST" ]; then
	[ -d "$SELFTEST" ] || die "--selftest $SELFTEST is not a directory"
	[ -f "$SELFTEST/dax/dax-kmem-hotplug.sh" ] || die "--selftest $SELFTEST has no dax/dax-kmem-hotplug.sh"
	mapfile -t STFILES < <(find "$SELFTEST/dax" -maxdepth 1 -type f | sort; echo "$SELFTEST/kselftest/ktap_helpers.sh")
fi
KEY=$( {
	echo "release $KREL"
	cat "$BUILTIN"
	[ -n "$BUILTIN_MODINFO" ] && sha256sum <"$BUILTIN_MODINFO"
	for f in "${FILES[@]}" $LIBS ${TESTFILES[@]+"${TESTFILES[@]}"} ${STFILES[@]+"${STFILES[@]}"}; do
		echo "${f##*/} $(sha256sum <"$f")"
	done
} | sha256sum | cut -c1-16)
OUT=$CACHE/initramfs/$KEY.cpio.gz
if [ -s "$OUT" ]; then
	log "up to date ($KREL, key $KEY)"
	echo "$OUT"
	exit 0
fi

mkdir -p "$CACHE/initramfs"
R=$(mktemp -d "$CACHE/initramfs/root.XXXXXX")
trap 'rm -rf "$R" "$BUILTIN"' EXIT
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,etc,proc,sys,dev,tmp,run,tests/selftests/dax,tests/selftests/kselftest}
cp "$BUSYBOX" "$R/bin/busybox"
ln -s busybox "$R/bin/sh"
cp "$HERE/init" "$R/init"
chmod 755 "$R/init"
gcc -static -O2 -Wall -o "$R/usr/bin/daxhp-util" "$HERE/daxhp-util.c"
cp "$(command -v ndctl)" "$(command -v daxctl)" "$R/usr/bin/"
cp "$(command -v bash)" "$R/usr/bin/bash"
ln -s ../usr/bin/bash "$R/bin/bash"
for l in $LIBS; do
	mkdir -p "$R$(dirname "$l")"
	cp -L "$l" "$R$l"
done
# Debian's /lib is a symlink to usr/lib on merged-/usr hosts; keep both paths valid.
[ -e "$R/lib64/ld-linux-x86-64.so.2" ] || cp -L /lib64/ld-linux-x86-64.so.2 "$R/lib64/"
M=$R/lib/modules/$KREL
mkdir -p "$M"
cp "$BUILTIN" "$M/modules.builtin"
if [ -n "$BUILTIN_MODINFO" ]; then cp "$BUILTIN_MODINFO" "$M/modules.builtin.modinfo"; else : >"$M/modules.builtin.modinfo"; fi
: >"$M/modules.order"
depmod -b "$R" "$KREL" || die "depmod -b failed"
for f in ${TESTFILES[@]+"${TESTFILES[@]}"}; do install -m 755 "$f" "$R/tests/"; done
for f in ${STFILES[@]+"${STFILES[@]}"}; do
	case $f in */kselftest/*) cp "$f" "$R/tests/selftests/kselftest/" ;; *) cp "$f" "$R/tests/selftests/dax/" ;; esac
done
chmod 755 "$R"/tests/selftests/*/*.sh 2>/dev/null || true
echo "root:x:0:0:root:/root:/bin/sh" >"$R/etc/passwd"
echo "root:x:0:" >"$R/etc/group"
(cd "$R" && find . -print0 | cpio --null -o -H newc --quiet --owner=0:0) | gzip -6 >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
log "built $OUT ($KREL, $(du -h "$OUT" | cut -f1), ${#TESTFILES[@]} test scripts, ${#STFILES[@]} selftest files)"
echo "$OUT"
