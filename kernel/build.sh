#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build a daxhp kernel (bzImage) from the pinned Linux 7.2 source.
#
#   kernel/build.sh [--variant default|debug] [--no-series] [--source PATH|TARBALL|DEB]
#   kernel/build.sh --mainline [--variant default|debug]
#
#   --variant   default: kernel/config/daxhp.config;
#               debug:   + kernel/config/debug.config (KASAN, lockdep, DEBUG_VM)
#               (series builds: + config/inject.config, memory notifier
#               error injection for the rollback tests)
#               (+ config/linux-<major.minor>.config when that file exists)
#   --no-series build the pristine base without kernel/patches/series
#   --source    use a user's own 7.2 tree or tarball (see fetch-source.sh);
#               with --no-series any version (a tree, a tarball or a Debian
#               linux-source-*.deb), imported here as src/<ver>, where <ver> is
#               debian-<package version> or user-<kernelversion>-<content hash>
#   --mainline  mainline Linux 7.3 with its own kmem `state` ABI: Debian's
#               linux-source-7.3 from experimental, downloaded once into
#               $CACHE/mainline with a private apt configuration (the host's apt
#               setup is never touched; nothing is installed); implies --no-series
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
MAINLINE=0
while [ $# -gt 0 ]; do
	case $1 in
	--variant) VARIANT=${2:?}; shift 2 ;;
	--variant=*) VARIANT=${1#*=}; shift ;;
	--no-series) SERIES=0; shift ;;
	--mainline) MAINLINE=1; SERIES=0; shift ;;
	--source) SOURCE=${2:?}; shift 2 ;;
	--source=*) SOURCE=${1#*=}; shift ;;
	-h|--help) sed -n '3,31p' "$0" >&2; exit 0 ;;
	*) die "unknown argument: $1" ;;
	esac
done

MAINLINE_PKG=linux-source-7.3

# Download $MAINLINE_PKG from Debian experimental with a private apt
# configuration (own sources list, lists, cache and preferences under
# $CACHE/apt-experimental, pin priority 1) into $CACHE/mainline, once.
# Prints the .deb path.
mainline_deb() {
	local a=$CACHE/apt-experimental d=$CACHE/mainline deb opts
	deb=$(ls "$d/${MAINLINE_PKG}"_*_all.deb 2>/dev/null | sort -V | tail -n1)
	if [ -n "$deb" ] && dpkg-deb -f "$deb" Version >/dev/null 2>&1; then
		echo "$deb"
		return 0
	fi
	mkdir -p "$a/lists/partial" "$a/cache/archives/partial" "$a/etc/preferences.d" "$d"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian experimental main" \
		>"$a/etc/sources.list"
	# Low pin, should anyone point a real apt at these files: never install from it.
	printf 'Package: *\nPin: release a=experimental\nPin-Priority: 1\n' >"$a/etc/preferences.d/low"
	opts=(-o Dir::Etc::SourceList="$a/etc/sources.list" -o Dir::Etc::SourceParts=/dev/null
	      -o Dir::Etc::Preferences="$a/etc/preferences" -o Dir::Etc::PreferencesParts="$a/etc/preferences.d"
	      -o Dir::State::Lists="$a/lists" -o Dir::Cache="$a/cache"
	      -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o APT::Get::List-Cleanup=0)
	log "downloading $MAINLINE_PKG from Debian experimental (private apt config in $a)"
	apt-get "${opts[@]}" -q update >&2 || die "apt-get update (experimental) failed"
	(cd "$d" && apt-get "${opts[@]}" -q download "$MAINLINE_PKG" >&2) ||
		die "apt-get download $MAINLINE_PKG failed"
	deb=$(ls "$d/${MAINLINE_PKG}"_*_all.deb | sort -V | tail -n1)
	[ -n "$deb" ] || die "no $MAINLINE_PKG .deb in $d after download"
	echo "$deb"
}

# import_any SOURCE: a tree, tarball or linux-source .deb of any version as
# the cached git repo src/<ver>/linux (pristine tree tagged "base"), for
# builds without the series.  Prints "<ver> <repo>".  Same layout as
# fetch-source.sh, which only accepts 7.2 (the series' base).
import_any() {
	local src=$1 ver tmp dst id kver
	case $src in
	*.deb)
		[ -f "$src" ] || die "--source $src: no such file"
		ver=debian-$(dpkg-deb -f "$src" Version) || die "$src is not a .deb"
		id= ;;
	*)
		if [ -d "$src" ]; then
			# metadata hash: cheap, and changes whenever a source file does
			id=$( (cd "$src" && find . -path ./.git -prune -o -type f \( -name '*.[chS]' -o -name 'Makefile*' \
				-o -name 'Kconfig*' -o -name '*.lds*' \) -printf '%P %s %T@\n') | LC_ALL=C sort |
				sha256sum | cut -c1-12)
		elif [ -f "$src" ]; then
			id=$(sha256sum "$src" | cut -c1-12)
		else
			die "--source $src: no such file or directory"
		fi
		ver=$(cat "$CACHE/src/.id-$id" 2>/dev/null || true) ;;
	esac
	if [ -n "$ver" ] && [ -d "$CACHE/src/$ver/linux/.git" ]; then
		echo "$ver $CACHE/src/$ver/linux"
		return 0
	fi
	cache_lock
	mkdir -p "$CACHE/src"
	tmp=$(mktemp -d "$CACHE/tmp.XXXXXX")
	mkdir "$tmp/tree"
	if [ -d "$src" ]; then
		log "copying tree $src"
		tar -C "$src" --exclude=.git -cf - . | tar -C "$tmp/tree" -xf -
	elif [ "${src%.deb}" != "$src" ]; then
		log "unpacking $src"
		dpkg-deb --fsys-tarfile "$src" | tar -x -C "$tmp" --wildcards './usr/src/linux-source-*.tar.*'
		tar -xf "$tmp"/usr/src/linux-source-*.tar.* -C "$tmp/tree" --strip-components=1
		rm -rf "$tmp/usr"
	else
		log "extracting tarball $src"
		tar -xf "$src" -C "$tmp/tree" --strip-components=1
	fi
	[ -f "$tmp/tree/Makefile" ] && [ -d "$tmp/tree/mm" ] || die "$src does not hold a Linux tree"
	kver=$(make -s -C "$tmp/tree" kernelversion 2>/dev/null) || die "$src: no kernel version"
	[ -n "$ver" ] || ver=user-$kver-$id
	dst=$CACHE/src/$ver/linux
	if [ ! -d "$dst/.git" ]; then
		log "committing pristine $kver tree as $dst, tag base (takes a minute)"
		rm -rf "$dst.tmp"
		mkdir -p "$(dirname "$dst")"
		mv "$tmp/tree" "$dst.tmp"
		(
			cd "$dst.tmp"
			kgit init -q -b pristine
			kgit config gc.auto 0
			kgit add -A -f .
			kgit commit -q -m "Linux $kver ($ver, pristine base for daxhp)"
			kgit tag base
		) || die "git import of $src failed"
		mv "$dst.tmp" "$dst"
	fi
	rm -rf "$tmp"
	[ -z "$id" ] || echo "$ver" >"$CACHE/src/.id-$id"
	echo "$ver $dst"
}

read -r FRAGS <<<"$(variant_fragments "$VARIANT")"
read -r -a FRAGS <<<"$FRAGS"
if [ $MAINLINE = 1 ]; then
	[ -z "$SOURCE" ] || die "--mainline and --source exclude each other"
	SOURCE=$(mainline_deb)
fi
if [ $SERIES = 0 ] && [ -n "$SOURCE" ]; then
	read -r VER SRC < <(import_any "$SOURCE")
else
	read -r VER SRC < <("$KDIR/fetch-source.sh" ${SOURCE:+--source "$SOURCE"} | tail -n1)
fi
[ -n "${SRC:-}" ] || die "fetching the source failed"
# A version-specific fragment, for Kconfig differences of other kernel versions.
KMM=$(make -s -C "$SRC" kernelversion | cut -d. -f1-2)
[ ! -f "$KDIR/config/linux-$KMM.config" ] || FRAGS+=("$KDIR/config/linux-$KMM.config")

PATCHES=()
if [ $SERIES = 1 ]; then
	mapfile -t PATCHES < <(series_patches)
	[ ${#PATCHES[@]} -gt 0 ] || die "kernel/patches/series is empty"
	FLAVOUR=series
	FRAGS+=("$KDIR/config/inject.config")
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

# An artefact for this key is the result: print it and stop.
exit_if_cached() {
	[ -f "$OUT/bzImage" ] || return 0
	log "up to date: cached artefact for key $KEY"
	echo "$OUT/bzImage"
	exit 0
}
exit_if_cached

WT=$CACHE/wt/$VER-$FLAVOUR
B=$CACHE/build/$NAME
# one job per worktree (variants share it); another job may have built it meanwhile
cache_lock "$VER-$FLAVOUR"
exit_if_cached
prepare_tree "$SRC" "$WT" ${PATCHES[@]+"${PATCHES[@]}"}
# "# drop: CONFIG_X" lines of a fragment remove CONFIG_X from the fragments
# before it (symbols another kernel version no longer has); the filtered
# copies live in the build dir, the key above hashes the originals.
DROPS=$(sed -n 's/^# drop: \(CONFIG_[A-Za-z0-9_]*\).*/\1/p' "${FRAGS[@]}")
if [ -n "$DROPS" ]; then
	mkdir -p "$B/daxhp-fragments"
	for i in "${!FRAGS[@]}"; do
		f=$B/daxhp-fragments/$i-${FRAGS[$i]##*/}
		grep -v -E "^(# )?($(echo $DROPS | tr ' ' '|'))[= ]" "${FRAGS[$i]}" >"$f" || true
		FRAGS[$i]=$f
	done
fi
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
