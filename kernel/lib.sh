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

# Serialise heavy work on the cache (one extraction / build at a time).
cache_lock() {
	mkdir -p "$CACHE"
	exec 9>"$CACHE/.lock"
	if ! flock -n 9; then
		log "waiting for another daxhp kernel job holding $CACHE/.lock"
		flock 9
	fi
}
