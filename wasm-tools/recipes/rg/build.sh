# ripgrep 13 (Debian bookworm source package rust-ripgrep) as a WASI preview1
# command module: $GOODBOT_OUT/rg.wasm.
#
# Built with Debian's own Rust toolchain (rustc/cargo 1.63 and the wasm32-wasi
# std from libstd-rust-dev-wasm32), fully offline: every crate comes from
# Debian's librust-*-dev packages, which unpack into /usr/share/cargo/registry.
# A rustup toolchain on PATH (~/.cargo/bin) is deliberately bypassed: it has no
# wasm32 std and no network to fetch crates. No C code is compiled (the pcre2
# feature stays off), so this recipe does not need the WASI C toolchain.
source "$GOODBOT_LIB/common.sh"

# The crates ripgrep's Debian Build-Depends name (the real package names behind
# its `librust-X+feature-dev` virtual names), plus serde/serde-derive/walkdir:
# ripgrep's dev-dependencies, which cargo resolves even for a plain build.
need_debs patch cargo rustc libstd-rust-dev-wasm32 \
  librust-bstr-dev librust-clap-2-dev librust-grep-dev librust-grep-searcher-dev \
  librust-ignore-dev librust-lazy-static-dev librust-log-dev librust-num-cpus-dev \
  librust-regex-dev librust-serde-json-dev librust-termcolor-dev \
  librust-serde-dev librust-serde-derive-dev librust-walkdir-dev

CARGO=/usr/bin/cargo
RUSTC=/usr/bin/rustc
REGISTRY=/usr/share/cargo/registry
[ -x "$CARGO" ] && [ -x "$RUSTC" ] || { echo "Debian cargo/rustc missing" >&2; exit 1; }
[ -d "$REGISTRY" ] || { echo "$REGISTRY missing" >&2; exit 1; }
[ -d "$("$RUSTC" --print sysroot)/lib/rustlib/wasm32-wasi" ] ||
  { echo "no wasm32-wasi std for $RUSTC (libstd-rust-dev-wasm32)" >&2; exit 1; }

SRC="$GOODBOT_WORK/ripgrep"
debian_source rust-ripgrep/bookworm "$SRC"
grep -q '^version = "13\.' "$SRC/Cargo.toml" || { echo "expected ripgrep 13.x" >&2; exit 1; }

# Cargo's home (its config and caches) and target dir live in GOODBOT_WORK.
export CARGO_HOME="$GOODBOT_WORK/cargo-home"
export CARGO_TARGET_DIR="$GOODBOT_WORK/target"
mkdir -p "$CARGO_HOME"
cat >"$CARGO_HOME/config.toml" <<EOF
# Debian's unpacked crates replace cargo's default registry; nothing is fetched.
[source.crates-io]
replace-with = "debian"
[source.debian]
directory = "$REGISTRY"
[net]
offline = true
EOF

# The upstream Cargo.lock pins versions Debian does not ship; let cargo resolve
# against the Debian registry instead (what dh-cargo does too).
rm -f "$SRC/Cargo.lock"
# Debian's grep crate has no `simd-accel` feature (upstream's needs nightly
# Rust), so ripgrep's `simd-accel = ["grep/simd-accel"]` fails resolution.
# We never enable it: drop the feature line.
sed -i '/^simd-accel = \["grep\/simd-accel"\]$/d' "$SRC/Cargo.toml"
! grep -q 'grep/simd-accel' "$SRC/Cargo.toml" || { echo "simd-accel patch did not apply" >&2; exit 1; }
# WASI has no threads and no processes: one search thread, and --pre fails
# with an error instead of a panic (details in the patch file).
patch -d "$SRC" -p1 --forward --no-backup-if-mismatch <"$GOODBOT_RECIPE/ripgrep-wasi.patch"

# Crates that need a WASI fix are copied out of the (read-only, shared) Debian
# registry into GOODBOT_WORK, patched there, and swapped in with
# [patch.crates-io]. Each patch file says why it exists.
PATCHED="$GOODBOT_WORK/patched-crates"
patch_crate() { # patch_crate CRATE VERSION PATCHFILE
  local dir="$PATCHED/$1"
  [ -d "$REGISTRY/$1-$2" ] || { echo "$REGISTRY/$1-$2 missing (Debian crate version changed?)" >&2; exit 1; }
  mkdir -p "$PATCHED"
  rm -rf "$dir"
  cp -r "$REGISTRY/$1-$2" "$dir"
  patch -d "$dir" -p1 --forward --no-backup-if-mismatch <"$GOODBOT_RECIPE/$3"
  printf '%s = { path = "%s" }\n' "$1" "$dir" >>"$SRC/Cargo.toml"
}
printf '\n[patch.crates-io]\n' >>"$SRC/Cargo.toml"
# grep-cli: is_readable_stdin() has no WASI implementation (compile error).
patch_crate grep-cli 0.1.6 grep-cli-wasi-stdin.patch

# Keep the wasm lean and the build quick: upstream's release profile asks for
# debug info (debug = 1); we want no debug info, a stripped binary and
# panic=abort (smaller, and unwinding is useless in a wasm guest).
export CARGO_PROFILE_RELEASE_DEBUG=0
export CARGO_PROFILE_RELEASE_LTO=off
export CARGO_PROFILE_RELEASE_PANIC=abort
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
export CARGO_PROFILE_RELEASE_STRIP=symbols
# Only Debian's rustc; PATH also puts Debian's cargo first for build scripts.
export RUSTC
export PATH="/usr/bin:$PATH"
unset RUSTFLAGS RUSTUP_TOOLCHAIN
# The process starts in the run's working folder (see wasm-tools/lib/initial-cwd.c).
export CARGO_TARGET_WASM32_WASI_RUSTFLAGS="-C link-arg=$(wasi_startup_object)"

step "building ripgrep $(sed -n 's/^version = "\(.*\)"/\1/p' "$SRC/Cargo.toml" | head -1) for wasm32-wasi (cargo $("$CARGO" --version | cut -d' ' -f2))"
(cd "$SRC" && "$CARGO" build --offline --release --target wasm32-wasi --bin rg -j "$JOBS")

WASM="$CARGO_TARGET_DIR/wasm32-wasi/release/rg.wasm"
[ -s "$WASM" ] || { echo "cargo produced no rg.wasm" >&2; exit 1; }
cp "$WASM" "$GOODBOT_OUT/rg.wasm"
# License texts ride along with the artifact (ripgrep is Unlicense OR MIT).
mkdir -p "$GOODBOT_OUT/licenses"
cp "$SRC/COPYING" "$SRC/LICENSE-MIT" "$SRC/UNLICENSE" "$GOODBOT_OUT/licenses/"
step "rg.wasm: $(stat -c %s "$GOODBOT_OUT/rg.wasm") bytes"
