# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by the guest benches that need a host tool the guest image lacks.
#
#   DISK=$(tool_disk perf 200M)
#
# Puts the host's command (same Debian as the guest) and the libraries it
# links on an ext4 image of its own, build-e2e/<command>.ext4 (bin/, lib/),
# remade when the command is newer than the image; prints the image's path.
tool_disk() {
	local cmd=$1 size=$2 bin
	local disk=$ROOT/build-e2e/$cmd.ext4 dir=$ROOT/build-e2e/$cmd-root
	bin=$(readlink -f "$(command -v "$cmd")")
	if [ ! -s "$disk" ] || [ "$bin" -nt "$disk" ]; then
		rm -rf "$dir" "$disk" && mkdir -p "$dir/bin" "$dir/lib"
		cp "$bin" "$dir/bin/$cmd"
		ldd "$bin" | awk '/=>/ {print $3}' | xargs -r -I{} cp -L {} "$dir/lib/"
		mke2fs -q -t ext4 -d "$dir" "$disk" "$size"
	fi
	echo "$disk"
}
