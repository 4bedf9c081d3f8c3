# SPDX-License-Identifier: GPL-2.0
# Shared helpers for kernel/fetch-source.sh, kernel/build.sh and kernel/check-series.sh.
# Sourced, not executed.  All chatter goes to stderr; stdout is reserved for results.

KDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$KDIR/.." && pwd)
CACHE=${DAXHP_CACHE:-/var/cache/daxhp}
GIT_IDENT=(-c user.name="daxhp developers" -c user.email="daxhp@localhost"
	   -c commit.gpgsign=false -c core.autocrlf=false)
export GIT_AUTHOR_NAME="daxhp developers" GIT_AUTHOR_EMAIL="daxhp@localhost"
export GIT_COMMITTER_NAME="daxhp developers" GIT_COMMITTER_EMAIL="daxhp@localhost"
JOBS=${DAXHP_JOBS:-$(nproc)}

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }

kgit() { git "${GIT_IDENT[@]}" "$@"; }

# cache_lock [NAME]: serialise jobs using the same part of the cache
# (source extraction, or one worktree + build dir).
cache_lock() {
	local f=$CACHE/.lock${1:+-$1}

	mkdir -p "$CACHE"
	exec 9>"$f"
	if ! flock -n 9; then
		log "waiting for another daxhp kernel job holding $f"
		flock 9
	fi
}

# Fragments for a variant, in merge order.
variant_fragments() {
	case $1 in
	default) echo "$KDIR/config/daxhp.config" ;;
	debug) echo "$KDIR/config/daxhp.config $KDIR/config/debug.config" ;;
	*) die "unknown variant '$1' (default|debug)" ;;
	esac
}

# Patch files of the series, in order, one per line.
series_patches() {
	local p
	[ -s "$KDIR/patches/series" ] || die "no kernel/patches/series"
	while read -r p; do
		case $p in ''|'#'*) continue ;; esac
		[ -f "$KDIR/patches/$p" ] || die "series lists missing patch $p"
		echo "$KDIR/patches/$p"
	done <"$KDIR/patches/series"
}

# Check that every option of the fragments survived olddefconfig.
verify_config() {
	local cfg=$1 frag line sym want have bad=0
	shift
	for frag in "$@"; do
		while IFS= read -r line; do
			case $line in
			CONFIG_*=*) sym=${line%%=*}; want=$line ;;
			"# CONFIG_"*" is not set") sym=${line#\# }; sym=${sym%% *}; want=$line ;;
			*) continue ;;
			esac
			have=$(grep -E "^($sym=|# $sym is not set)" "$cfg" || true)
			if [ "$have" != "$want" ]; then
				case $want in
				*=n) [ -z "$have" ] || [ "$have" = "# $sym is not set" ] && continue ;;
				esac
				log "CONFIG DROPPED: wanted '$want' from ${frag##*/}, got '${have:-<unset>}'"
				bad=1
			fi
		done <"$frag"
	done
	[ $bad = 0 ] || die "config fragment options did not land (missing dependency?); see above"
}

# gen_config SRC BUILDDIR FRAGMENT...: tinyconfig + merged fragments + olddefconfig.
# Skipped when the fragments are unchanged since the last run in BUILDDIR.
gen_config() {
	local src=$1 b=$2 stamp
	shift 2
	stamp=$(cat "$@" | sha256sum | cut -d' ' -f1)
	if [ -f "$b/.config" ] && [ "$(cat "$b/.daxhp-config-stamp" 2>/dev/null)" = "$stamp" ]; then
		verify_config "$b/.config" "$@"
		return
	fi
	mkdir -p "$b"
	log "configuring $b: tinyconfig + ${*##*/} + olddefconfig"
	{
		make -s -C "$src" O="$b" tinyconfig &&
		(cd "$src" && scripts/kconfig/merge_config.sh -m -O "$b" "$b/.config" "$@") &&
		make -s -C "$src" O="$b" olddefconfig
	} >"$b/daxhp-config.log" 2>&1 || { cat "$b/daxhp-config.log" >&2; die "configuration failed"; }
	verify_config "$b/.config" "$@"
	echo "$stamp" >"$b/.daxhp-config-stamp"
}

# prepare_tree SRC WORKTREE [PATCH...]: WORKTREE = base + PATCHes applied by git am.
# Left untouched when it already holds exactly that (keeps builds incremental).
prepare_tree() {
	local src=$1 wt=$2 stamp
	shift 2
	stamp=$( (git -C "$src" rev-parse refs/tags/base; [ $# -eq 0 ] || cat "$@") | sha256sum | cut -d' ' -f1)
	if [ ! -e "$wt/.git" ]; then
		mkdir -p "$(dirname "$wt")"
		git -C "$src" worktree prune
		kgit -C "$src" worktree add -q --detach "$wt" refs/tags/base >&2
	elif [ "$(cat "$wt.stamp" 2>/dev/null)" = "$stamp" ] &&
	     [ -z "$(git -C "$wt" status --porcelain --untracked-files=no)" ]; then
		return 0
	fi
	rm -f "$wt.stamp"
	kgit -C "$wt" am --abort >/dev/null 2>&1 || true
	keep_mtimes "$wt" >"$wt.mtimes"
	kgit -C "$wt" checkout -q -f --detach refs/tags/base
	if [ $# -gt 0 ]; then
		log "applying $# patches with git am"
		kgit -C "$wt" am -q --whitespace=nowarn "$@" >&2 ||
			die "git am failed in $wt"
	fi
	restore_mtimes "$wt" <"$wt.mtimes"
	rm -f "$wt.mtimes"
	echo "$stamp" >"$wt.stamp"
}

# keep_mtimes WORKTREE: "BLOB MTIME PATH" of every clean file the current
# patches changed.  checkout + git am rewrite those files even when the new
# patches leave them as they were, and make would then rebuild everything
# that includes them (memory_hotplug.h, included by mmzone.h: a near-full
# rebuild for a one-file change).  restore_mtimes puts the old mtime back on
# each file whose content is the same after git am.
keep_mtimes() {
	local wt=$1 old f dirty

	old=$(git -C "$wt" rev-parse -q --verify HEAD) || return 0
	dirty=$(git -C "$wt" diff --name-only "$old")
	git -C "$wt" diff --name-only refs/tags/base "$old" | while read -r f; do
		[ -f "$wt/$f" ] || continue
		grep -qxF "$f" <<<"$dirty" && continue
		printf '%s %s %s\n' "$(git -C "$wt" rev-parse "$old:$f")" \
			"$(stat -c %.9Y "$wt/$f")" "$f"
	done
}

restore_mtimes() {
	local wt=$1 blob mt f

	while read -r blob mt f; do
		[ "$(git -C "$wt" rev-parse -q --verify "HEAD:$f" 2>/dev/null)" = "$blob" ] ||
			continue
		touch -m -d "@$mt" "$wt/$f"
	done
}
