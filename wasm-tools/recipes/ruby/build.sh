#!/usr/bin/env bash
# ruby 3.4 from the @ruby/3.4-wasm-wasi npm package: a WASI preview1 *reactor*
# module (no _start) with the standard library embedded by wasi-vfs. It exports
# `_initialize` and the legacy wit-bindgen API (`ruby-init: func(args:
# list<string>)`, `rb-eval-string-protect`, ...); goodbot drives it with
# src/backends/wasm/ruby-reactor.ts. Its `rb-js-abi-host` imports (the JS
# bridge of the `js` gem) are stubbed by that driver to fail.
# Output: GOODBOT_OUT/ruby.wasm
source "$GOODBOT_LIB/common.sh"

version=2.10.1
pkg="$GOODBOT_WORK/ruby-wasm-wasi"
npm_package "@ruby/3.4-wasm-wasi@$version" "$pkg"

wasm="$pkg/dist/ruby+stdlib.wasm"
[ -f "$wasm" ] || { echo "missing $wasm in the npm package" >&2; exit 1; }

step "checking the reactor's exports"
node - "$wasm" <<'JS'
const { readFileSync } = require('node:fs');
const module = new WebAssembly.Module(readFileSync(process.argv[2]));
const exports = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
const needed = ['memory', '_initialize', 'cabi_realloc', 'ruby-init: func(args: list<string>) -> ()',
  'ruby-init-loadpath: func() -> ()',
  'rb-eval-string-protect: func(str: string) -> tuple<handle<rb-abi-value>, s32>'];
const missing = needed.filter((name) => !exports.has(name));
if (missing.length > 0) { console.error(`not the expected ruby reactor; missing exports: ${missing.join(', ')}`); process.exit(1); }
JS

step "installing ruby.wasm (ruby 3.4, stdlib embedded)"
cp "$wasm" "$GOODBOT_OUT/ruby.wasm"
mkdir -p "$GOODBOT_OUT/licenses"
cp "$pkg/dist/LICENSE" "$GOODBOT_OUT/licenses/ruby.wasm.LICENSE"
cp "$pkg/dist/NOTICE" "$GOODBOT_OUT/licenses/ruby.wasm.NOTICE"
