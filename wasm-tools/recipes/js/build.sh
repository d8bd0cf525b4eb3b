#!/usr/bin/env bash
# js: a JavaScript engine as a WASI 0.2 command component. componentize-js
# (npm) splices our runner (runner.js: `js script.js ARGS`, `js -e CODE`, file
# helpers) into its StarlingMonkey/SpiderMonkey engine and pre-initializes it
# with wizer (the wizer npm package's linux-x64 binary); no AOT (weval would
# download a binary). The wasi WIT packages come from jco's bundled WIT, set
# to the WASI version the engine imports.
# Output: GOODBOT_OUT/js.wasm
source "$GOODBOT_LIB/common.sh"

componentize_version=0.23.0
npm_dir="$GOODBOT_WORK/npm"
step "installing componentize-js $componentize_version (build tool)"
npm install --prefix "$npm_dir" --no-audit --no-fund --no-save --loglevel=error \
  "@bytecodealliance/componentize-js@$componentize_version"
modules="$npm_dir/node_modules/@bytecodealliance"
[ -x "$modules/wizer-linux-x64/wizer" ] || { echo "wizer's linux-x64 binary is missing (npm optional dependency)" >&2; exit 1; }

step "finding the engine's WASI version"
wasi_version="$(node - "$modules/componentize-js/lib/starlingmonkey_embedding.wasm" <<'JS'
const { readFileSync } = require('node:fs');
const module = new WebAssembly.Module(readFileSync(process.argv[2]));
const versions = new Set();
for (const entry of WebAssembly.Module.imports(module)) {
  const match = /^wasi:[a-z-]+\/[a-z-]+@(0\.2\.\d+)$/.exec(entry.module);
  if (match) versions.add(match[1]);
}
if (versions.size !== 1) { console.error(`expected one WASI version in the engine, found: ${[...versions].join(', ') || 'none'}`); process.exit(1); }
console.log([...versions][0]);
JS
)"
step "engine imports WASI $wasi_version"

# jco ships the wasi 0.2 WIT packages; take its newest 0.2.x and set the version.
wit_source="$(ls -d "$modules"/jco/lib/wit/builtin/0.2.* | sort -V | tail -1)"
wit="$GOODBOT_WORK/wit"
mkdir -p "$wit/deps"
for package in cli clocks filesystem io random sockets http; do
  [ -f "$wit_source/wasi-$package/package.wit" ] || { echo "jco lacks the WIT of wasi:$package" >&2; exit 1; }
  mkdir -p "$wit/deps/$package"
  sed -E "s/@0\.2\.[0-9]+/@$wasi_version/g" "$wit_source/wasi-$package/package.wit" >"$wit/deps/$package/package.wit"
done
sed "s/WASI_VERSION/$wasi_version/g" "$GOODBOT_RECIPE/world.wit" >"$wit/world.wit"

src="$GOODBOT_WORK/src"
mkdir -p "$src" "$GOODBOT_WORK/tmp"
sed "s/WASI_VERSION/$wasi_version/g" "$GOODBOT_RECIPE/runner.js" >"$src/runner.js"

step "componentizing the runner (wizer pre-initialization)"
cat >"$GOODBOT_WORK/componentize.mjs" <<'JS'
import { writeFileSync } from 'node:fs';
const [componentizeJs, wit, out] = process.argv.slice(2);
const { componentize } = await import(componentizeJs);
const { component } = await componentize({
  sourcePath: 'runner.js',
  witPath: wit,
  worldName: 'runner',
  // fetch() goes out through wasi:http (the host checks every request
  // against the policy); a command serves no requests, so no fetch-event.
  disableFeatures: ['fetch-event'],
  enableAot: false,
});
writeFileSync(out, component);
JS
# componentize-js names script frames relative to the working directory, and
# keeps its scratch files in TMPDIR.
(cd "$src" && TMPDIR="$GOODBOT_WORK/tmp" node "$GOODBOT_WORK/componentize.mjs" \
  "$modules/componentize-js/src/componentize.js" "$wit" "$GOODBOT_OUT/js.wasm")

mkdir -p "$GOODBOT_OUT/licenses"
cp "$modules/componentize-js/LICENSE" "$GOODBOT_OUT/licenses/componentize-js.LICENSE"

step "checking the component"
node - "$GOODBOT_OUT/js.wasm" <<'JS'
const bytes = require('node:fs').readFileSync(process.argv[2]);
if (bytes.readUInt32LE(0) !== 0x6d736100 || bytes[6] !== 1) { console.error('js.wasm is not a component'); process.exit(1); }
if (!bytes.includes(Buffer.from('wasi:cli/run@'))) { console.error('js.wasm does not export wasi:cli/run'); process.exit(1); }
console.log(`js.wasm: ${bytes.length} bytes`);
JS
