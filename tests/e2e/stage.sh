#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Build daxhpd from THIS tree as README says (`meson setup build && ninja -C
# build && meson install -C build`, no options) and install it with
# `meson install --destdir` into a staging dir, then pack the staging dir as a small ext4 image that the guest
# mounts (/dev/vdb) and copies over / at the start of a run (vm-side: guest/overlay.sh).
#
#   tests/e2e/stage.sh [BUILDDIR]     (default: <repo>/build-e2e, git-ignored)
#
# Prints the overlay image path as the LAST line of stdout.  If the tree has no
# daemon yet (no daemon/meson.build) the overlay holds only the test helpers.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
B=${1:-$ROOT/build-e2e}
log() { echo "stage: $*" >&2; }

mkdir -p "$B"
STAGE=$B/stage
rm -rf "$STAGE"
mkdir -p "$STAGE"
if [ -e "$ROOT/daemon/meson.build" ]; then
	# README's exact commands, meson's defaults (prefix /usr/local): the
	# install directories of systemd, dbus and bash-completion come from
	# pkg-config (meson_options.txt), which is what makes them work.
	MB=$B/meson-readme
	if [ ! -e "$MB/build.ninja" ]; then
		meson setup "$MB" "$ROOT" >&2
	fi
	ninja -C "$MB" >&2
	meson install -C "$MB" --destdir "$STAGE" --no-rebuild >&2 2>&1 | tail -n 3 >&2
else
	log "no daemon/meson.build in $ROOT: staging test helpers only"
fi
# Test helpers and example policies travel with the overlay.
install -D -m0755 "$HERE/guest/overlay.sh" "$STAGE/usr/local/sbin/daxhp-e2e-overlay"
install -D -m0755 "$HERE/guest/toggler.sh" "$STAGE/usr/local/sbin/daxhp-e2e-toggler"
if [ -d "$ROOT/policy/examples" ]; then
	mkdir -p "$STAGE/usr/share/daxhp-e2e/policy-examples"
	cp -a "$ROOT/policy/examples/." "$STAGE/usr/share/daxhp-e2e/policy-examples/"
fi
# Kernel-side index for daxctl on a kernel with everything built in (see notes):
# overlay.sh writes modules.builtin for `uname -r` at run time.
IMG=$B/overlay.ext4
size=$(( $(du -sm "$STAGE" | cut -f1) + 32 ))
rm -f "$IMG"
mkfs.ext4 -q -F -L daxhp-ovl -d "$STAGE" "$IMG" "${size}M" >&2
echo "$IMG"
