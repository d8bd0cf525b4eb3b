#!/usr/bin/env bash
# Sets up everything goodbot needs on a fresh Debian machine, idempotently:
# Debian packages (clang + wasi-libc for the guests), npm packages, the
# TypeScript build, the fs-times addon, the test guests and the tool catalog.
# Each step is skipped when its result is already up to date.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '==> %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# 1. Debian packages: clang/lld and wasi-libc build our C guests and tools; gcc
#    and Node's headers build the fs-times addon; the host's sqlite3 checks that
#    databases written by the sandboxed sqlite3 open natively. Recipes install
#    what else they need themselves.
packages=(clang lld llvm wasi-libc libclang-rt-dev-wasm32 gcc libc6-dev dpkg-dev sqlite3)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  step "installing Debian packages: ${missing[*]}"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# 2. npm packages at the versions package-lock.json records, reinstalled only
#    when it changed. Not `npm ci`: jco's dependencies name optional native
#    packages for other platforms that the registry does not have, so they can
#    never be in the lock and `npm ci` refuses it; `npm install` installs the
#    locked versions and skips them.
lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -d node_modules ] || [ "$(cat node_modules/.goodbot-lock 2>/dev/null)" != "$lock_hash" ]; then
  step "installing npm packages"
  npm install --no-audit --no-fund --loglevel=error
  sha256sum package-lock.json | cut -d' ' -f1 > node_modules/.goodbot-lock
fi

# 3. TypeScript -> dist/ (the CLI runs from there).
step "building goodbot (tsc)"
npx tsc -p tsconfig.json

# 4. The fs-times addon: nanosecond-exact timestamps for host-folder zones.
addon=.cache/native/fs-times.node
source_file=src/zones/native/fs-times.c
node_include="$(node -p "require('path').join(process.execPath, '..', '..', 'include', 'node')")"
[ -f "$node_include/node_api.h" ] || node_include=/usr/include/node
if [ ! -f "$addon" ] || [ "$source_file" -nt "$addon" ]; then
  step "building the fs-times addon"
  mkdir -p .cache/native
  cc -shared -fPIC -O2 -Wall -Werror -I"$node_include" "$source_file" -o "$addon.tmp"
  mv "$addon.tmp" "$addon"
fi

# 5. Test and benchmark guests (our own C programs) -> .cache/guests/.
step "building guests"
node wasm-tools/build-guests.mjs

# 6. The default tool catalog (wasm-tools/recipes: busybox, python3, lua, jq,
#    sqlite3, rg, ruby, js) -> .cache/tools/, from Debian source packages and
#    npm packages. Each build is cached by its recipe's hash: the first run
#    takes minutes (progress below), later runs none.
step "building the tool catalog"
node dist/cli/main.js tools build --default
step "setup done"
