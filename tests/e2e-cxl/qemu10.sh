#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Provide QEMU 10 (volatile CXL memory: cxl-type3 volatile-memdev=) on Debian 12
# without touching the host's QEMU 7.2.
#
#   tests/e2e-cxl/qemu10.sh        prints "<qemu-system-x86_64> <datadir>" as its last line
#
# Downloads qemu-system-x86, qemu-system-common, qemu-system-data and seabios
# from Debian bookworm-backports with a private apt configuration (own sources
# list, lists and cache under $DAXHP_CACHE/apt-backports; the host's apt setup is
# never read or changed; nothing is installed) and `dpkg -x`es them into
# $DAXHP_CACHE/qemu10/<version>.  Cached and idempotent: a second run only
# checks the tree.  The wrapper it writes, <tree>/qemu-system-x86_64, sets
# QEMU_MODULE_DIR (else QEMU 10 loads the host's 7.2 modules and aborts) and
# the firmware search path (-L) before exec'ing the real binary.
set -euo pipefail
CACHE=${DAXHP_CACHE:-/var/cache/daxhp}
A=$CACHE/apt-backports
DEST=$CACHE/qemu10
PKGS=(qemu-system-x86 qemu-system-common qemu-system-data seabios)
log() { printf 'qemu10.sh: %s\n' "$*" >&2; }
die() { printf 'qemu10.sh: error: %s\n' "$*" >&2; exit 1; }

mkdir -p "$DEST"
exec 9>"$DEST/.lock"
flock 9

cur=$DEST/current
if [ -x "$cur/qemu-system-x86_64" ] && "$cur/qemu-system-x86_64" --version 2>/dev/null | grep -q 'version 10\.'; then
	echo "$(readlink -f "$cur")/qemu-system-x86_64 $(readlink -f "$cur")/usr/share/qemu"
	exit 0
fi

mkdir -p "$A/lists/partial" "$A/cache/archives/partial" "$A/etc/preferences.d" "$A/dl"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-backports main" \
	>"$A/etc/sources.list"
opts=(-o Dir::Etc::SourceList="$A/etc/sources.list" -o Dir::Etc::SourceParts=/dev/null
      -o Dir::Etc::Preferences="$A/etc/preferences" -o Dir::Etc::PreferencesParts="$A/etc/preferences.d"
      -o Dir::State::Lists="$A/lists" -o Dir::Cache="$A/cache"
      -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o APT::Get::List-Cleanup=0
      -o APT::Sandbox::User=root)
log "downloading ${PKGS[*]} from bookworm-backports (private apt config in $A)"
apt-get "${opts[@]}" -q update >&2 || die "apt-get update (bookworm-backports) failed"
(cd "$A/dl" && rm -f ./*.deb && apt-get "${opts[@]}" -q download "${PKGS[@]}" >&2) ||
	die "apt-get download failed"
ver=$(dpkg-deb -f "$A"/dl/qemu-system-x86_*.deb Version)
tree=$DEST/${ver//[:~+]/_}
rm -rf "$tree.tmp"
mkdir -p "$tree.tmp"
for d in "$A"/dl/*.deb; do
	dpkg -x "$d" "$tree.tmp"
done
# The wrapper: QEMU 10's modules and firmware, never the host's.
cat >"$tree.tmp/qemu-system-x86_64" <<'WRAP'
#!/bin/sh
d=$(dirname "$(readlink -f "$0")")
export QEMU_MODULE_DIR="$d/usr/lib/x86_64-linux-gnu/qemu"
exec "$d/usr/bin/qemu-system-x86_64" -L "$d/usr/share/qemu" -L "$d/usr/share/seabios" "$@"
WRAP
chmod 755 "$tree.tmp/qemu-system-x86_64"
# Its shared libraries are Debian 12's (qemu-system-x86 7.2 from
# tests/install-deps.sh pulls them all in); name any that is missing.
missing=$(ldd "$tree.tmp/usr/bin/qemu-system-x86_64" | awk '/not found/ {print $1}' | tr '\n' ' ')
[ -z "$missing" ] || die "QEMU 10 needs libraries this host lacks: $missing"
"$tree.tmp/qemu-system-x86_64" --version | grep -q 'version 10\.' ||
	die "the extracted QEMU does not run: $("$tree.tmp/qemu-system-x86_64" --version 2>&1 | head -n3)"
rm -rf "$tree"
mv "$tree.tmp" "$tree"
ln -sfn "${tree##*/}" "$cur"
log "QEMU $ver in $tree"
echo "$tree/qemu-system-x86_64 $tree/usr/share/qemu"
