#!/bin/bash
# Installs every Debian package the build, the tests and the demo need.
# Idempotent: does nothing (no network) when everything is already there.
set -euo pipefail

packages=(
        # build
        meson ninja-build pkg-config gcc clang libsystemd-dev libudev-dev
        libdaxctl-dev libndctl-dev libinih-dev
        # unit/integration tests
        valgrind dbus systemd umockdev libumockdev-dev gir1.2-umockdev-1.0
        python3 python3-gi python3-dbus util-linux jq bash-completion
        # promtool (tests/integration/test_fleet.py lints the metrics file)
        prometheus
        # kernel build and VM tests
        bc bison flex libelf-dev libssl-dev cpio kmod xz-utils rsync
        # (qemu-system-x86 7.2 also brings every library of the QEMU 10 that
        # tests/e2e-cxl/qemu10.sh unpacks privately from bookworm-backports)
        qemu-system-x86 busybox-static ndctl daxctl git
        # guest root filesystem
        debootstrap e2fsprogs
)

missing=()
for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
                missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
