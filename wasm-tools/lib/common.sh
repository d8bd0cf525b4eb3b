# Shared by every recipe in wasm-tools/recipes/: progress output, the WASI
# toolchain, and Debian/npm source fetching. A recipe is run by the catalog
# builder (src/node/tools/builder.ts) as `bash build.sh` with:
#   GOODBOT_OUT      empty folder for the results (the tool's artifact and data)
#   GOODBOT_WORK     empty scratch folder for the build (removed afterwards)
#   GOODBOT_SOURCES  persistent download cache for source packages
#   GOODBOT_LIB      this folder
#   GOODBOT_RECIPE   the recipe's own folder (patches, stubs)
#   JOBS             parallel jobs for make
# Lines starting with `==> ` are progress; everything else goes to the build log.
set -euo pipefail

: "${GOODBOT_OUT:?run recipes through goodbot tools build}"
: "${GOODBOT_WORK:?}" "${GOODBOT_SOURCES:?}" "${GOODBOT_LIB:?}" "${GOODBOT_RECIPE:?}"
JOBS="${JOBS:-$(nproc)}"

# clang runs any `wasm-opt` it finds in PATH after linking, without the
# features we use (exception handling for setjmp/longjmp); `npm run` puts
# binaryen's from node_modules/.bin first. Keep to the system's tools.
PATH="$(printf '%s' "$PATH" | tr ':' '\n' | grep -v '/node_modules/\.bin$' | paste -sd: -)"
export PATH

source "$GOODBOT_LIB/debian-host.sh"

# The WASI C toolchain: Debian's clang 14 + wasi-libc. `-nostdinc` with explicit
# include dirs, because Debian's clang otherwise falls back to glibc's
# /usr/include for headers wasi-libc lacks, and builds "succeed" wrongly.
wasi_toolchain() {
  need_debs clang lld wasi-libc libclang-rt-dev-wasm32 llvm
  local resource
  resource="$(clang -print-resource-dir)"
  export CC="clang --target=wasm32-wasi --sysroot=/usr -nostdinc -isystem $resource/include -isystem /usr/include/wasm32-wasi"
  export CXX="clang++ --target=wasm32-wasi --sysroot=/usr -nostdinc -isystem $resource/include -isystem /usr/include/wasm32-wasi"
  export AR=llvm-ar RANLIB=llvm-ranlib NM=llvm-nm STRIP=llvm-strip
  export CFLAGS="${CFLAGS:--O2}"
  export LDFLAGS="${LDFLAGS:-}"
  WASI_STUBS_INCLUDE="$GOODBOT_LIB/wasi-stubs/include"
  export WASI_STUBS_INCLUDE
  WASI_STARTUP_OBJ="$(wasi_startup_object)"
  export WASI_STARTUP_OBJ
  export LDFLAGS="$LDFLAGS $WASI_STARTUP_OBJ"
}

# wasi_startup_object: compiles initial-cwd.c (the process starts in the run's
# working folder, from PWD) and prints the object's path. Every tool's link
# line takes it: through LDFLAGS, or by name where a recipe links by hand.
wasi_startup_object() {
  local object="$GOODBOT_WORK/initial-cwd.o"
  if [ ! -s "$object" ]; then
    need_debs clang wasi-libc
    clang --target=wasm32-wasi --sysroot=/usr -nostdinc -isystem "$(clang -print-resource-dir)/include" \
      -isystem /usr/include/wasm32-wasi -O2 -c "$GOODBOT_LIB/initial-cwd.c" -o "$object"
  fi
  printf '%s\n' "$object"
}

# debian_source PACKAGE[/SUITE] DEST: unpacks the Debian source package (with
# Debian's patches applied) into DEST. Downloads are cached in GOODBOT_SOURCES.
# deb-src entries for apt's configured Debian mirror are added when missing.
debian_source() {
  local spec="$1" dest="$2" name="${1%%/*}"
  need_debs dpkg-dev
  node "$GOODBOT_LIB/enable-deb-src.mjs"
  local cache="$GOODBOT_SOURCES/debian/$name"
  mkdir -p "$cache"
  if ! ls "$cache"/*.dsc >/dev/null 2>&1; then
    step "downloading Debian source $spec"
    (cd "$cache" && apt-get source --download-only -q "$spec" >/dev/null 2>&1) ||
      (as_root apt-get update -q >/dev/null && cd "$cache" && apt-get source --download-only -q "$spec")
  fi
  local dsc
  dsc="$(ls "$cache"/*.dsc | sort -V | tail -1)"
  step "unpacking $(basename "$dsc")"
  rm -rf "$dest"
  dpkg-source --no-check -x "$dsc" "$dest" >/dev/null
}

# npm_package NAME@VERSION DEST: unpacks an npm package tarball into DEST
# (its `package/` folder becomes DEST). Tarballs are cached in GOODBOT_SOURCES.
npm_package() {
  local spec="$1" dest="$2"
  local cache="$GOODBOT_SOURCES/npm"
  local file="$cache/$(printf '%s' "$spec" | tr '/@' '__').tgz"
  mkdir -p "$cache"
  if [ ! -f "$file" ]; then
    step "downloading npm package $spec"
    local tmp
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "$spec" >/dev/null)
    mv "$tmp"/*.tgz "$file"
    rm -rf "$tmp"
  fi
  rm -rf "$dest"
  mkdir -p "$dest"
  tar -xzf "$file" -C "$dest" --strip-components=1
}
