#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Build (or reuse) the Debian 12 guest root filesystem for the end-to-end test.
#
#   tests/e2e/guest/build-rootfs.sh [--force]
#
# Prints on the LAST line of stdout:  <ext4 image> <stock vmlinuz> <stock initrd>
#
# Cache (${DAXHP_CACHE:-/var/cache/daxhp}/e2e):
#   rootfs-<H>/          debootstrap tree; H = sha256 of the recipe (the text
#                        between the "recipe begins/ends" markers below: suite,
#                        mirror, packages, tree set-up steps)
#   rootfs-<H>-<A>.ext4  bootable image = tree + guest agent; A = sha256 of this
#                        script and tests/e2e/guest/{agent.py,*.service}
# A rerun with an unchanged recipe is a no-op (~0.1 s).  Images are never
# written by test runs: vm.py boots them with -snapshot.
# Cold build on a 2-core machine: ~10 min (debootstrap + apt + initramfs).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${DAXHP_CACHE:-/var/cache/daxhp}/e2e
FORCE=0
[ "${1:-}" = --force ] && FORCE=1
log() { echo "build-rootfs: $*" >&2; }

# ---- recipe begins ----
SUITE=bookworm
MIRROR=${DAXHP_MIRROR:-http://deb.debian.org/debian}
PACKAGES=(
	systemd systemd-sysv dbus udev kmod
	ndctl daxctl libdaxctl1 libndctl6 libinih1 libsystemd0 libudev1
	python3-minimal util-linux procps
	linux-image-amd64 initramfs-tools
	polkitd python3-dbus prometheus-node-exporter
)
build_tree() { # $1: target dir
	local T=$1
	debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,udev \
		"$SUITE" "$T" "$MIRROR" >&2
	cat >"$T/etc/apt/sources.list" <<EOS
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb http://deb.debian.org/debian-security $SUITE-security main
EOS
	# No daemons may start inside the chroot.
	printf '#!/bin/sh\nexit 101\n' >"$T/usr/sbin/policy-rc.d"
	chmod +x "$T/usr/sbin/policy-rc.d"
	mount --bind /proc "$T/proc"
	trap 'umount "'"$T"'/proc" 2>/dev/null || true' EXIT
	chroot "$T" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
	chroot "$T" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends "${PACKAGES[@]}" >&2
	chroot "$T" apt-get clean
	umount "$T/proc"
	trap - EXIT
	rm -f "$T/usr/sbin/policy-rc.d"
	rm -rf "$T"/var/lib/apt/lists/* "$T"/var/cache/apt/*.bin
	# Guest basics: hostname, fstab, no root password (console login for
	# debugging), an unprivileged user for the access-denial step.
	echo daxhp-e2e >"$T/etc/hostname"
	echo '/dev/vda / ext4 rw,errors=remount-ro 0 1' >"$T/etc/fstab"
	chroot "$T" passwd -d root >&2
	chroot "$T" useradd -m -u 1000 -s /bin/sh tester
	# Quiet, fast boot: nothing we do not need.
	for u in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer \
		 systemd-timesyncd.service; do
		chroot "$T" systemctl disable "$u" >/dev/null 2>&1 || true
	done
	chroot "$T" systemctl mask systemd-networkd-wait-online.service >/dev/null 2>&1 || true
}
# ---- recipe ends ----

recipe_hash() {
	sed -n '/^# ---- recipe begins/,/^# ---- recipe ends/p' "$0" | sha256sum | cut -c1-16
}
agent_hash() {
	{ cat "$0" "$HERE"/agent.py "$HERE"/*.service 2>/dev/null || true; } |
		sha256sum | cut -c1-12
}

H=$(recipe_hash)
A=$(agent_hash)
TREE=$CACHE/rootfs-$H
IMG=$CACHE/rootfs-$H-$A.ext4
mkdir -p "$CACHE"

# Serialize concurrent builders.
exec 9>"$CACHE/.lock"
flock 9

if [ $FORCE = 1 ] || [ ! -e "$TREE/.complete" ]; then
	t0=$(date +%s)
	log "debootstrap $SUITE into $TREE (cold build, ~10 min)"
	rm -rf "$TREE" "$TREE.tmp"
	mkdir -p "$TREE.tmp"
	build_tree "$TREE.tmp"
	touch "$TREE.tmp/.complete"
	mv "$TREE.tmp" "$TREE"
	log "rootfs tree built in $(( $(date +%s) - t0 )) s"
fi

if [ $FORCE = 1 ] || [ ! -e "$IMG" ]; then
	t0=$(date +%s)
	log "installing guest agent and making $IMG"
	install -D -m0755 "$HERE/agent.py" "$TREE/usr/local/sbin/daxhp-e2e-agent"
	install -D -m0644 "$HERE/daxhp-e2e-agent.service" \
		"$TREE/etc/systemd/system/daxhp-e2e-agent.service"
	ln -sf /etc/systemd/system/daxhp-e2e-agent.service \
		"$TREE/etc/systemd/system/multi-user.target.wants/daxhp-e2e-agent.service"
	# ndctl-monitor fails without a configured monitor and makes the system "degraded".
	ln -sf /dev/null "$TREE/etc/systemd/system/ndctl-monitor.service"
	size=$(( $(du -sm "$TREE" | cut -f1) + 1024 ))
	rm -f "$IMG.tmp"
	mkfs.ext4 -q -F -L daxhp-root -d "$TREE" "$IMG.tmp" "${size}M" >/dev/null 2>&1
	mv "$IMG.tmp" "$IMG"
	# Keep only the newest image per tree.
	for old in "$CACHE"/rootfs-"$H"-*.ext4; do
		[ "$old" = "$IMG" ] || rm -f "$old"
	done
	log "image made in $(( $(date +%s) - t0 )) s (${size} MiB)"
fi

KVER=$(ls "$TREE"/lib/modules | sort -V | tail -n1)
echo "$IMG $TREE/boot/vmlinuz-$KVER $TREE/boot/initrd.img-$KVER"
