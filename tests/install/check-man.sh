#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The man pages render without warnings and without glyph substitutes (TAP):
#   check-man.sh PAGE...
# groff -ww in UTF-8 and ASCII, `man --warnings -l`, and two source checks that
# groff does not warn about: \' and \` are accents (rendered ´ `), not quotes
# (use \(aq), and \(xy takes exactly two characters, so "\(<->" renders "←>".
set -u
n=0 fail=0
t() { # result name [detail]
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; [ -n "${3:-}" ] && sed 's/^/#   /' <<<"$3"; fi
}
for page in "$@"; do
	name=$(basename "$page")
	for dev in utf8 ascii; do
		err=$(LC_ALL=C.UTF-8 groff -ww -man -T$dev -z "$page" 2>&1)
		t "$([ -z "$err" ]; echo $?)" "$name: groff -ww -T$dev quiet" "$err"
	done
	err=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
	t "$([ -z "$err" ]; echo $?)" "$name: man --warnings -l quiet" "$err"
	bad=$(grep -n "\\\\['\`]" "$page")
	t "$([ -z "$bad" ]; echo $?)" "$name: no \\' or \\\` accent used as a quote" "$bad"
	bad=$(grep -nE '\\\((<-|->)[->]' "$page")
	t "$([ -z "$bad" ]; echo $?)" "$name: no three-character \\( glyph name" "$bad"
	# The rendering has no replacement or accent characters.
	bad=$(LC_ALL=C.UTF-8 groff -man -Tutf8 "$page" 2>/dev/null | grep -n '[´�]')
	t "$([ -z "$bad" ]; echo $?)" "$name: rendering has no ´ or replacement glyph" "$bad"
done
echo "1..$n"
exit $fail
