#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Maintainer tool: regenerate kernel/patches/ from the development branch of
# the cache kernel tree (commits on top of tag "base").
#
#   kernel/export-series.sh [GIT_TREE]   (default: $DAXHP_CACHE/dev)
#
# Writes 0000-cover-letter.patch ... 0009-*.patch with
# "git format-patch --cover-letter -n", fills the cover letter from
# kernel/patches/cover-blurb.txt (first line = subject) and rewrites
# kernel/patches/series.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

TREE=${1:-$CACHE/dev}
OUT=$KDIR/patches
BLURB=$OUT/cover-blurb.txt
[ -d "$TREE" ] || die "no development tree at $TREE"

rm -f "$OUT"/[0-9][0-9][0-9][0-9]-*.patch
kgit -C "$TREE" format-patch -q --cover-letter -n --no-signature \
	--base=refs/tags/base -o "$OUT" refs/tags/base..HEAD
python3 - "$OUT/0000-cover-letter.patch" "$BLURB" <<'PY'
import sys
cover, blurb = sys.argv[1], open(sys.argv[2]).read().split('\n', 1)
s = open(cover).read()
s = s.replace('*** SUBJECT HERE ***', blurb[0].strip(), 1)
s = s.replace('*** BLURB HERE ***', blurb[1].strip('\n'), 1)
open(cover, 'w').write(s)
PY
(cd "$OUT" && ls [0-9][0-9][0-9][0-9]-*.patch | grep -v '^0000-') >"$OUT/series"
log "exported $(wc -l <"$OUT/series") patches to $OUT"
