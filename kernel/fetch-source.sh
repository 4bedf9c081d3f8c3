#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Obtain the Linux 7.2 source the daxhp series is based on and turn it into a
# git repository in the cache (pristine tree committed as tag "base").
#
#   kernel/fetch-source.sh [--source PATH|TARBALL]
#
# Order of preference:
#   1. --source PATH (a user's own 7.2 tree or tarball), when given;
#   2. the pinned Debian package linux-source-7.2_7.2.13-1_all.deb from
#      $DAXHP_SHARED/kernel or <repo>/../shared/kernel (SHA256SUMS checked);
#   3. Debian sid through a private apt configuration (own sources list, own
#      state dir, low pin): the host's apt setup is never touched or upgraded.
#
# Cache: ${DAXHP_CACHE:-/var/cache/daxhp}/src/<version>/linux.
# stdout (last line): "<version> <path-to-git-tree>".
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SOURCE=
while [ $# -gt 0 ]; do
	case $1 in
	--source) SOURCE=${2:?--source needs a path}; shift 2 ;;
	--source=*) SOURCE=${1#*=}; shift ;;
	-h|--help) sed -n '3,20p' "$0" >&2; exit 0 ;;
	*) die "unknown argument: $1" ;;
	esac
done

PKG=linux-source-7.2
PINNED_DEB=linux-source-7.2_7.2.13-1_all.deb

# Turn an unpacked tree at $1 into the cached git repo for version $2.
import_tree() {
	local tree=$1 ver=$2 dst=$CACHE/src/$2/linux
	[ -f "$tree/Makefile" ] && [ -d "$tree/mm" ] || die "$tree does not look like a Linux tree"
	rm -rf "$dst.tmp"
	mkdir -p "$(dirname "$dst")"
	mv "$tree" "$dst.tmp"
	log "committing pristine tree as base (this takes a minute)"
	(
		cd "$dst.tmp"
		rm -rf .git
		kgit init -q -b pristine
		kgit config gc.auto 0
		kgit add -A -f .
		kgit commit -q -m "Linux $ver (pristine base for daxhp)"
		kgit tag base
	)
	mv "$dst.tmp" "$dst"
}

tree_version() {
	make -s -C "$1" kernelversion 2>/dev/null
}

check_72() {
	case $1 in
	7.2|7.2.*|7.2-*) ;;
	*) die "source is Linux $1, the series needs 7.2" ;;
	esac
}

# Extract the kernel tarball from a linux-source .deb into the cache.
from_deb() {
	local deb=$1 ver tmp
	ver=debian-$(dpkg-deb -f "$deb" Version)
	if [ -d "$CACHE/src/$ver/linux/.git" ]; then
		echo "$ver"
		return
	fi
	tmp=$(mktemp -d "$CACHE/tmp.XXXXXX")
	log "unpacking $deb"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" --wildcards './usr/src/linux-source-*.tar.xz'
	mkdir "$tmp/tree"
	tar -xJf "$tmp"/usr/src/linux-source-*.tar.xz -C "$tmp/tree" --strip-components=1
	check_72 "$(tree_version "$tmp/tree")"
	import_tree "$tmp/tree" "$ver"
	rm -rf "$tmp"
	echo "$ver"
}

pinned_deb() {
	local d
	for d in ${DAXHP_SHARED:+"$DAXHP_SHARED/kernel"} "$REPO_ROOT/../shared/kernel"; do
		[ -f "$d/$PINNED_DEB" ] || continue
		if [ -f "$d/SHA256SUMS" ] &&
		   (cd "$d" && grep " $PINNED_DEB\$" SHA256SUMS | sha256sum -c --quiet - >&2); then
			echo "$d/$PINNED_DEB"
			return 0
		fi
		log "WARNING: $d/$PINNED_DEB fails its SHA256SUMS check, ignoring it"
	done
	return 1
}

# Download linux-source-7.2 from Debian sid with a private apt configuration.
sid_deb() {
	local a=$CACHE/apt opts
	mkdir -p "$a/lists/partial" "$a/archives/partial" "$a/dl"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian sid main" \
		>"$a/sid.list"
	printf 'Package: *\nPin: release n=sid\nPin-Priority: 50\n' >"$a/preferences"
	opts=(-o Dir::Etc::SourceList="$a/sid.list" -o Dir::Etc::SourceParts=/dev/null
	      -o Dir::Etc::Preferences="$a/preferences" -o Dir::Etc::PreferencesParts=/dev/null
	      -o Dir::State::Lists="$a/lists" -o Dir::Cache::Archives="$a/archives"
	      -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o APT::Get::List-Cleanup=0)
	log "pinned package not found: downloading $PKG from Debian sid (private apt config in $a)"
	apt-get "${opts[@]}" -q update >&2 || return 1
	(cd "$a/dl" && rm -f ./*.deb && apt-get "${opts[@]}" -q download "$PKG" >&2) || return 1
	ls "$a"/dl/"$PKG"_*.deb | head -n1
}

from_user_source() {
	local src=$1 tmp ver
	tmp=$(mktemp -d "$CACHE/tmp.XXXXXX")
	if [ -d "$src" ]; then
		log "copying user tree $src"
		mkdir "$tmp/tree"
		tar -C "$src" --exclude=.git -cf - . | tar -C "$tmp/tree" -xf -
	elif [ -f "$src" ]; then
		log "extracting user tarball $src"
		mkdir "$tmp/tree"
		tar -xf "$src" -C "$tmp/tree" --strip-components=1
	else
		die "--source $src: no such file or directory"
	fi
	ver=$(tree_version "$tmp/tree")
	check_72 "$ver"
	# Distinguish different user trees of the same version by content.
	ver=user-$ver-$( (cd "$tmp/tree" && find . -type f -name '*.[ch]' -newer Makefile -o -name Makefile -type f |
		LC_ALL=C sort | head -n 2000 | xargs cat) | sha256sum | cut -c1-12)
	if [ -d "$CACHE/src/$ver/linux/.git" ]; then
		rm -rf "$tmp"
	else
		import_tree "$tmp/tree" "$ver"
		rm -rf "$tmp"
	fi
	echo "$ver"
}

cache_lock
mkdir -p "$CACHE/src"
if [ -n "$SOURCE" ]; then
	VER=$(from_user_source "$SOURCE")
	log "using user-supplied source $SOURCE"
elif DEB=$(pinned_deb); then
	log "using pinned package $DEB (sha256 verified)"
	VER=$(from_deb "$DEB")
elif DEB=$(sid_deb); then
	log "using Debian sid package $DEB (NOT the pinned 7.2.13-1: results may differ)"
	VER=$(from_deb "$DEB")
else
	die "no source: pinned package absent, sid download failed; use --source PATH"
fi
log "source version: $VER ($CACHE/src/$VER/linux)"
echo "$VER $CACHE/src/$VER/linux"
