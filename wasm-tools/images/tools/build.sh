# The tools image of the Docker backend, goodbot/tools:<hash>: the container
# that tools without a WASI build run in. A minimal Debian root filesystem of
# this machine's own release (debootstrap --variant=minbase) with the packages
# of packages.txt (python3, jq, sqlite3, git, gcc and make, common command-line
# tools), upgraded from the release's security and updates suites.
# Built offline, without any image registry: the .debs come from apt's
# configured Debian mirror (read at run time); docs (but copyrights), man pages,
# translations and apt's lists and caches are trimmed; the result is packed into
# $GOODBOT_OUT/rootfs.tar, which src/backends/docker/image.ts imports through
# the Engine API. Cache key: the tag is the first 16 hex digits of the sha256
# over this folder's files, so a changed package list or script is a new image.
source "$GOODBOT_LIB/common.sh"
need_debs debootstrap

suite="$(. /etc/os-release && printf '%s' "$VERSION_CODENAME")"
mirror="$(node "$GOODBOT_LIB/apt-sources.mjs" mirror)"
keyring="$(node "$GOODBOT_LIB/apt-sources.mjs" keyring)"
packages="$(grep -v '^[[:space:]]*$' "$GOODBOT_RECIPE/packages.txt" | paste -sd, -)"
rootfs="$GOODBOT_WORK/rootfs"
# debootstrap and apt name the mirror in what they print: the log says <mirror>
mirror_hosts="$(node "$GOODBOT_LIB/apt-sources.mjs" debian | sed -n 's/^URIs://p' | grep -oE '://[^/ ]+' | cut -c4- | sort -u)"
masked() { "$@" 2>&1 | sed -u $(printf -- '-e s#%s#<mirror>#g ' $mirror_hosts); }
# debootstrap creates device nodes and root-owned files: remove them as root,
# whether the build succeeds or not
trap 'as_root rm -rf "$rootfs"' EXIT

step "debootstrap $suite (minbase and $(tr ',' '\n' <<<"$packages" | wc -l) packages) from apt's Debian mirror"
masked as_root debootstrap --variant=minbase --include="$packages" ${keyring:+--keyring="$keyring"} "$suite" "$rootfs" "$mirror"

step "upgrading from the $suite security and updates suites"
node "$GOODBOT_LIB/apt-sources.mjs" debian | as_root tee "$rootfs/etc/apt/sources.list.d/debian.sources" >/dev/null
as_root rm -f "$rootfs/etc/apt/sources.list"
masked as_root chroot "$rootfs" apt-get update -q
masked as_root chroot "$rootfs" env DEBIAN_FRONTEND=noninteractive apt-get upgrade -y -q
as_root chroot "$rootfs" apt-get clean

step "trimming apt lists and caches, documentation and translations"
as_root rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/debconf/*-old \
  "$rootfs"/var/lib/dpkg/*-old "$rootfs"/var/log/* "$rootfs"/tmp/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*
as_root find "$rootfs/usr/share/doc" -type f ! -name copyright -delete
as_root find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
as_root find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
# the engine provides these per container; the build host's must not leak in
as_root rm -f "$rootfs/etc/resolv.conf" "$rootfs/etc/hostname"

step "packing the root filesystem ($(as_root du -sm "$rootfs" | cut -f1) MiB)"
as_root tar --numeric-owner -C "$rootfs" -cf - . >"$GOODBOT_OUT/rootfs.tar"
step "done: rootfs.tar ($(du -m "$GOODBOT_OUT/rootfs.tar" | cut -f1) MiB)"
