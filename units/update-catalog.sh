#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# meson install script: make the installed journal catalog live (journalctl
# reads only its binary database). Skipped under DESTDIR: a staging tree is
# not the running system, and its owner updates the catalog on the target.
[ -n "${DESTDIR:-}" ] && exit 0
if ! command -v journalctl >/dev/null 2>&1; then
	echo "update-catalog: no journalctl, catalog not updated" >&2
	exit 0
fi
journalctl --update-catalog ||
	echo "update-catalog: 'journalctl --update-catalog' failed; run it as root" >&2
exit 0
