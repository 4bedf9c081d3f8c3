#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Guest side of tests/e2e/stage.sh: unpack the staged `meson install --destdir`
# tree (second virtio disk) over /, then make systemd, dbus and the linker see it.
# Also gives a no-modules kernel the modules.builtin index daxctl's libkmod needs.
set -eu
dev=${1:-/dev/vdb}
mnt=/run/daxhp-overlay
mkdir -p $mnt
mountpoint -q $mnt || mount -o ro "$dev" $mnt
# tar, not cp -a: like `meson install` to /, write through the directory
# symlinks of a merged-/usr root (/lib -> usr/lib; the unit dir is /lib/systemd/system).
tar -C $mnt --exclude=./lost+found -cf - . | tar -C / --keep-directory-symlink -xf -
ldconfig
# What meson's install script (units/update-catalog.sh) does when installing to /.
journalctl --update-catalog
kver=$(uname -r)
if [ ! -e /lib/modules/$kver/modules.dep ] && [ ! -e /proc/modules ]; then
	mkdir -p /lib/modules/$kver
	for m in drivers/dax/kmem drivers/dax/device_dax drivers/dax/dax_pmem \
		 drivers/dax/hmem/dax_hmem drivers/dax/dax drivers/nvdimm/nd_pmem \
		 drivers/nvdimm/libnvdimm drivers/nvdimm/nd_e820 drivers/nvdimm/nd_btt; do
		echo "kernel/$m.ko"
	done >/lib/modules/$kver/modules.builtin
	depmod -a "$kver" 2>/dev/null || true
fi
systemctl daemon-reload
systemctl reload dbus 2>/dev/null || true
echo "overlay installed from $dev"
