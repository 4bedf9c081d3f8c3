#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Check the daxhp kernel series (kernel/patches/series):
#   1. scripts/checkpatch.pl --strict on every patch: errors or warnings fail,
#      CHECKs are reported;
#   2. bisectability: apply the patches in order with git am on a dedicated
#      worktree and build after each one, incrementally, in a dedicated build
#      dir (default variant).  By default each step builds the objects the
#      series touches (drivers/dax/, mm/memory_hotplug.o,
#      drivers/base/memory.o, ...): include/linux/memory_hotplug.h is pulled
#      in by mmzone.h, so a full bzImage per patch means several near-full
#      rebuilds (~25 min each on 2 cores).  --full builds bzImage each time;
#      the whole-series bzImage is what kernel/build.sh produces;
#   3. W=1 on those objects: warnings the unpatched base does not have fail.
# Prints a table patch -> checkpatch -> build; exit status non-zero on failure.
#
#   kernel/check-series.sh [--full] [--no-build] [--source PATH|TARBALL]
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SOURCE=
BUILD=1
FULL=0
while [ $# -gt 0 ]; do
	case $1 in
	--source) SOURCE=${2:?}; shift 2 ;;
	--source=*) SOURCE=${1#*=}; shift ;;
	--no-build) BUILD=0; shift ;;
	--full) FULL=1; shift ;;
	-h|--help) sed -n '3,20p' "$0" >&2; exit 0 ;;
	*) die "unknown argument: $1" ;;
	esac
done

read -r VER SRC < <("$KDIR/fetch-source.sh" ${SOURCE:+--source "$SOURCE"} | tail -n1)
[ -n "${SRC:-}" ] || die "fetch-source.sh failed"
mapfile -t PATCHES < <(series_patches)
read -r -a FRAGS <<<"$(variant_fragments default)"

WT=$CACHE/wt/$VER-check
B=$CACHE/build/$VER-default-check
cache_lock "$VER-check"
FAIL=0
declare -a CP_RES BUILD_RES

# Files the series touches: their objects are the per-patch targets, and
# warnings mentioning them count as new.
mapfile -t TOUCHED < <(grep -h '^+++ b/' "${PATCHES[@]}" | sed 's|^+++ b/||' | LC_ALL=C sort -u)
TARGETS=(drivers/dax/)
for f in "${TOUCHED[@]}"; do
	case $f in
	drivers/dax/*) ;;
	*.c) TARGETS+=("${f%.c}.o") ;;
	esac
done
TOUCHED_RE=$(printf '%s\n' "${TOUCHED[@]}" | sed 's/[.]/[.]/g' | paste -sd'|')

# --- checkpatch
for i in "${!PATCHES[@]}"; do
	out=$(cd "$SRC" && perl scripts/checkpatch.pl --strict --no-tree -q \
		"${PATCHES[$i]}" 2>&1 || true)
	tot=$(sed -n 's/^total: \([0-9]*\) errors, \([0-9]*\) warnings, \([0-9]*\) checks.*/\1 \2 \3/p' <<<"$out")
	read -r e w c <<<"${tot:-0 0 0}"
	CP_RES[i]="${e}E/${w}W/${c}C"
	if [ "$e" != 0 ] || [ "$w" != 0 ]; then
		FAIL=1
	fi
	[ -z "$out" ] || printf '%s: %s\n' "${PATCHES[$i]##*/}" "$out" >&2
done

# build_step LOG [W=1]: build the targets (or bzImage with --full).
build_step() {
	local logf=$1

	shift
	if [ $FULL = 1 ]; then
		make -C "$WT" O="$B" -j"$JOBS" "$@" bzImage >"$logf" 2>&1
	else
		make -C "$WT" O="$B" -j"$JOBS" "$@" "${TARGETS[@]}" >"$logf" 2>&1
	fi
}

# W=1 warnings of the targets, without line/column numbers so that code
# moving around does not count as a new warning.
w1_warnings() {
	make -C "$WT" O="$B" -j"$JOBS" W=1 "${TARGETS[@]}" >"$B/daxhp-w1.log" 2>&1 || true
	{ grep -E 'warning:' "$B/daxhp-w1.log" || true; } |
		sed -E 's/:[0-9]+:[0-9]+:/:/' | LC_ALL=C sort -u
}

if [ $BUILD = 1 ]; then
	prepare_tree "$SRC" "$WT"
	rm -f "$WT.stamp"	# the loop below moves the tree away from base
	gen_config "$WT" "$B" "${FRAGS[@]}"
	# An object the check config does not build cannot be built alone
	# (mm/kasan/ needs CONFIG_KASAN's arch headers): leave it to the
	# debug variant's build, which has KASAN.
	if ! grep -q '^CONFIG_KASAN=y' "$B/.config"; then
		kept=()
		for t in "${TARGETS[@]}"; do
			case $t in
			mm/kasan/*) log "not built here (no CONFIG_KASAN): $t" ;;
			*) kept+=("$t") ;;
			esac
		done
		TARGETS=("${kept[@]}")
	fi

	log "building base: ${TARGETS[*]} (in $B)"
	t0=$(date +%s)
	build_step "$B/daxhp-base.log" ||
		{ tail -n 30 "$B/daxhp-base.log" >&2; die "base does not build"; }
	log "base built in $(( $(date +%s) - t0 )) s"
	w1_warnings >"$B/w1-base.txt"

	for i in "${!PATCHES[@]}"; do
		p=${PATCHES[$i]}
		logf=$B/daxhp-patch$((i + 1)).log
		if ! kgit -C "$WT" am -q "$p" >&2; then
			kgit -C "$WT" am --abort >/dev/null 2>&1 || true
			BUILD_RES[i]="git am FAILED"
			FAIL=1
			break
		fi
		t0=$(date +%s)
		if build_step "$logf"; then
			BUILD_RES[i]="ok ($(( $(date +%s) - t0 )) s)"
		else
			tail -n 30 "$logf" >&2
			BUILD_RES[i]="FAILED"
			FAIL=1
		fi
		if grep -E 'warning:' "$logf" >&2; then
			if grep -E 'warning:' "$logf" | grep -qE "$TOUCHED_RE"; then
				BUILD_RES[i]="${BUILD_RES[i]}, NEW WARNINGS"
				FAIL=1
			else
				BUILD_RES[i]="${BUILD_RES[i]}, warnings elsewhere"
			fi
		fi
	done

	w1_warnings >"$B/w1-series.txt"
	NEW_W1=$(LC_ALL=C comm -13 "$B/w1-base.txt" "$B/w1-series.txt")
	W1_BASE=$(wc -l <"$B/w1-base.txt")
	if [ -n "$NEW_W1" ]; then
		FAIL=1
		log "new W=1 warnings:"
		printf '%s\n' "$NEW_W1" >&2
	fi
fi

{
	printf '\nper-patch build: %s\n' "$([ $FULL = 1 ] && echo bzImage || echo "${TARGETS[*]}")"
	printf '%-3s %-68s %-10s %s\n' "#" "patch" "checkpatch" "build"
	for i in "${!PATCHES[@]}"; do
		printf '%-3s %-68s %-10s %s\n' "$((i + 1))" "${PATCHES[$i]##*/}" \
			"${CP_RES[i]}" "${BUILD_RES[i]:-skipped}"
	done
	if [ $BUILD = 1 ]; then
		printf 'W=1: %s warnings on base, %s new with the series\n' \
			"$W1_BASE" "$(printf '%s' "$NEW_W1" | grep -c . || true)"
	fi
	printf 'result: %s\n' "$([ $FAIL = 0 ] && echo PASS || echo FAIL)"
}
exit $FAIL
