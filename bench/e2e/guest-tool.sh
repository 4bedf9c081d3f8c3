# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by the guest benches that run a host tool the guest image lacks
# (profile.sh: perf, syscalls.sh: strace); ROOT is the checkout.
#
#   guest_tool_inputs perf linux-perf 200M
#
# Sets IMG, OVL and BZ (the e2e image, this tree's overlay, the series
# kernel) and DISK: the host's command (same Debian as the guest; its
# package installed if missing) and the libraries it links on an ext4 image
# of its own, build-e2e/<command>.ext4 (bin/, lib/), remade when the command
# is newer than the image.
guest_tool_inputs() {
	local cmd=$1 package=$2 size=$3 bin dir
	command -v "$cmd" >/dev/null || apt-get install -y "$package" >&2
	read -r IMG _ _ < <("$ROOT/tests/e2e/guest/build-rootfs.sh" | tail -n1)
	OVL=$("$ROOT/tests/e2e/stage.sh" | tail -n1)
	BZ=$("$ROOT/kernel/build.sh" | tail -n1)
	DISK=$ROOT/build-e2e/$cmd.ext4 dir=$ROOT/build-e2e/$cmd-root
	bin=$(readlink -f "$(command -v "$cmd")")
	if [ ! -s "$DISK" ] || [ "$bin" -nt "$DISK" ]; then
		rm -rf "$dir" "$DISK" && mkdir -p "$dir/bin" "$dir/lib"
		cp "$bin" "$dir/bin/$cmd"
		ldd "$bin" | awk '/=>/ {print $3}' | xargs -r -I{} cp -L {} "$dir/lib/"
		mke2fs -q -t ext4 -d "$dir" "$DISK" "$size"
	fi
}
