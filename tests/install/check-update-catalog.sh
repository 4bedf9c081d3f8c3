#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# units/update-catalog.sh, meson's install script: runs `journalctl
# --update-catalog` when installing to /, never under DESTDIR (TAP).
# journalctl is a stub that records its arguments.
set -u
script=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
printf '#!/bin/sh\necho "$*" >> %s/calls\n' "$T" > "$T/journalctl"
chmod +x "$T/journalctl"
n=0 fail=0
t() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; }

env -u DESTDIR PATH="$T:$PATH" "$script"
t "$([ "$(cat "$T/calls" 2>/dev/null)" = "--update-catalog" ]; echo $?)" "install to /: journalctl --update-catalog"
rm -f "$T/calls"
DESTDIR=/tmp/stage PATH="$T:$PATH" "$script"
t "$([ ! -e "$T/calls" ]; echo $?)" "DESTDIR install: catalog left to the target"
# A failing journalctl (not root) must not fail the install.
printf '#!/bin/sh\nexit 1\n' > "$T/journalctl"
env -u DESTDIR PATH="$T:$PATH" "$script" 2>/dev/null
t "$?" "a failing journalctl does not fail meson install"
echo "1..$n"
exit $fail
