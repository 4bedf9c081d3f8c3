#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build a daxhp kernel (bzImage) from the pinned Linux 7.2 source.
#
#   kernel/build.sh [--variant default|debug] [--no-series] [--source PATH|TARBALL]
#
#   --variant   default: kernel/config/daxhp.config;
#               debug:   + kernel/config/debug.config (KASAN, lockdep, DEBUG_VM)
#   --no-series build the pristine base without kernel/patches/series
#   --source    use a user's own 7.2 tree or tarball (see fetch-source.sh)
#
# Cache (${DAXHP_CACHE:-/var/cache/daxhp}):
#   src/<ver>/linux                  git tree, pristine base tagged "base"
#   wt/<ver>-<series|pristine>       worktree: base + git am of the series
#   build/<ver>-<variant>-<series|pristine>   make O= dir, reused (incremental)
#   out/<key>/bzImage                artefact; key = sha256(source version, base
#                                    commit, patches, fragments, variant, gcc)
#   out/<ver>-<variant>-<series|pristine> -> <key>   convenience symlink
# An unchanged rerun is a no-op.  The bzImage path is the LAST line of stdout;
# everything else goes to stderr.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

VARIANT=default
SERIES=1
SOURCE=
while [ $# -gt 0 ]; do
	case $1 in
	--variant) VARIANT=${2:?}; shift 2 ;;
	--variant=*) VARIANT=${1#*=}; shift ;;
	--no-series) SERIES=0; shift ;;
	--source) SOURCE=${2:?}; shift 2 ;;
	--source=*) SOURCE=${1#*=}; shift ;;
	-h|--help) sed -n '3,22p' "$0" >&2; exit 0 ;;
	*) die "unknown argument: $1" ;;
	esac
done

read -r FRAGS <<<"$(variant_fragments "$VARIANT")"
read -r -a FRAGS <<<"$FRAGS"
read -r VER SRC < <("$KDIR/fetch-source.sh" ${SOURCE:+--source "$SOURCE"} | tail -n1)
[ -n "${SRC:-}" ] || die "fetch-source.sh failed"

PATCHES=()
if [ $SERIES = 1 ]; then
	mapfile -t PATCHES < <(series_patches)
	[ ${#PATCHES[@]} -gt 0 ] || die "kernel/patches/series is empty"
	FLAVOUR=series
else
	FLAVOUR=pristine
fi

KEY=$( {
	echo "version $VER"
	echo "base $(git -C "$SRC" rev-parse refs/tags/base)"
	echo "variant $VARIANT"
	for p in ${PATCHES[@]+"${PATCHES[@]}"}; do echo "patch ${p##*/}"; cat "$p"; done
	for f in "${FRAGS[@]}"; do echo "fragment ${f##*/}"; cat "$f"; done
	gcc --version | head -n1
} | sha256sum | cut -c1-16)
NAME=$VER-$VARIANT-$FLAVOUR
OUT=$CACHE/out/$KEY
log "source $VER, variant $VARIANT, $FLAVOUR (${#PATCHES[@]} patches), key $KEY"

if [ -f "$OUT/bzImage" ]; then
	log "up to date: cached artefact for key $KEY"
	echo "$OUT/bzImage"
	exit 0
fi

WT=$CACHE/wt/$VER-$FLAVOUR
B=$CACHE/build/$NAME
# one job per worktree (variants share it)
cache_lock "$VER-$FLAVOUR"
if [ -f "$OUT/bzImage" ]; then
	log "up to date: cached artefact for key $KEY"
	echo "$OUT/bzImage"
	exit 0
fi
prepare_tree "$SRC" "$WT" ${PATCHES[@]+"${PATCHES[@]}"}
gen_config "$WT" "$B" "${FRAGS[@]}"

log "make O=$B -j$JOBS bzImage (log: $B/daxhp-build.log)"
t0=$(date +%s)
if ! make -C "$WT" O="$B" -j"$JOBS" bzImage >"$B/daxhp-build.log" 2>&1; then
	tail -n 40 "$B/daxhp-build.log" >&2
	die "kernel build failed (full log $B/daxhp-build.log)"
fi
t1=$(date +%s)
grep -E 'warning:|error:' "$B/daxhp-build.log" >&2 || true
log "build took $((t1 - t0)) s"

mkdir -p "$OUT.tmp"
cp "$B/arch/x86/boot/bzImage" "$B/.config" "$B/System.map" "$OUT.tmp/"
{
	echo "version=$VER"
	echo "variant=$VARIANT"
	echo "flavour=$FLAVOUR"
	echo "patches=${#PATCHES[@]}"
	echo "kernelrelease=$(make -s -C "$WT" O="$B" kernelrelease 2>/dev/null)"
	echo "build_seconds=$((t1 - t0))"
	echo "built=$(date -u +%FT%TZ)"
} >"$OUT.tmp/info"
rm -rf "$OUT"
mv "$OUT.tmp" "$OUT"
ln -sfn "$KEY" "$CACHE/out/$NAME"
echo "$OUT/bzImage"
