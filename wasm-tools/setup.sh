#!/usr/bin/env bash
# Sets up everything goodbot needs on a fresh Debian machine, idempotently:
# Debian packages (clang + wasi-libc for the guests, chromium for the web
# demo's tests), bubblewrap, a running Docker engine, npm packages, the
# TypeScript build, the fs-times addon, the namespace backend's helpers, the
# test guests, the tool catalog, the Docker backend's tools image and the
# namespace backend's root filesystem. Each step is skipped when its result is already up
# to date.
set -euo pipefail
cd "$(dirname "$0")/.."
source wasm-tools/lib/debian-host.sh

# 1. Debian packages: clang/lld and wasi-libc build our C guests and tools; gcc
#    and Node's headers build the fs-times addon; the host's sqlite3 checks that
#    databases written by the sandboxed sqlite3 open natively; the host's
#    busybox (the catalog's tools are its applets) runs the shell tests' command
#    lines under bash, to compare with goodbot's shell. Recipes install what
#    else they need themselves.
need_debs clang lld llvm wasi-libc libclang-rt-dev-wasm32 gcc libc6-dev dpkg-dev sqlite3 busybox

# 1b. Headless Chromium for the web demo's end-to-end tests (test/web), driven
#     by playwright-core; Debian's package, installed only when it is missing.
[ -x /usr/bin/chromium ] || need_debs chromium

# 1c. The namespace backend: bubblewrap, and libseccomp's static library for
#     goodbot's launcher (step 6b), which builds the sandbox's seccomp filter.
#     socat and ripgrep are what sandbox-runtime (npm @anthropic-ai/sandbox-runtime,
#     the namespace backend's peer in the benchmarks) needs on the host.
need_debs bubblewrap libseccomp-dev socat ripgrep

# 2. The Docker backend: an engine (Debian's docker.io, unless one is installed
#    already, e.g. Docker's own packages) and debootstrap, which builds its
#    tools image offline (step 9).
command -v dockerd >/dev/null || need_debs docker.io
need_debs debootstrap

# 3. A Docker engine answering on its socket. With systemd, installing
#    docker.io started one; elsewhere (containers, CI without systemd) start
#    dockerd in the background, logging to /var/log/goodbot-dockerd.log.
engine_answers() {
  as_root env DOCKER_HOST="${DOCKER_HOST:-unix:///var/run/docker.sock}" docker version --format '{{.Server.Version}}' >/dev/null 2>&1
}
if ! engine_answers; then
  if [ -n "${DOCKER_HOST:-}" ] && [ "$DOCKER_HOST" != unix:///var/run/docker.sock ]; then
    printf 'goodbot setup: no Docker engine answers on DOCKER_HOST=%s; start it, or unset DOCKER_HOST\n' "$DOCKER_HOST" >&2
    exit 1
  fi
  dockerd_log=/var/log/goodbot-dockerd.log
  step "starting dockerd (log: $dockerd_log)"
  as_root setsid -f sh -c 'exec dockerd >>"$1" 2>&1' sh "$dockerd_log" </dev/null
  for _ in $(seq 60); do
    engine_answers && break
    sleep 1
  done
  if ! engine_answers; then
    printf 'goodbot setup: dockerd did not answer on /var/run/docker.sock within 60 s; the end of %s:\n' "$dockerd_log" >&2
    as_root tail -n 20 "$dockerd_log" >&2
    exit 1
  fi
fi
# 3b. gVisor for the Docker backend (sandbox.docker.runtime: runsc): runsc from
#     this release's backports suite (the release's own 2022 build fails statx
#     on newer kernels), registered with the local engine as `runsc`; the
#     engine reloads its runtimes on SIGHUP. Skipped for an engine elsewhere
#     (DOCKER_HOST), whose runtimes are its owner's business.
if [ "${DOCKER_HOST:-unix:///var/run/docker.sock}" = unix:///var/run/docker.sock ]; then
  runsc_version="$(dpkg-query -W -f='${Version}' runsc 2>/dev/null || true)"
  if ! dpkg --compare-versions "${runsc_version:-0}" ge 0.0~20240729; then
    as_root node wasm-tools/lib/enable-backports.mjs
    step "installing runsc (gVisor) from $(. /etc/os-release && printf '%s' "$VERSION_CODENAME")-backports"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      -t "$(. /etc/os-release && printf '%s' "$VERSION_CODENAME")-backports" runsc
  fi
  if [ "$(as_root node wasm-tools/lib/register-runsc.mjs)" = changed ]; then
    step "registering runsc with the Docker engine"
    if pidof dockerd >/dev/null; then as_root kill -HUP "$(pidof dockerd)"; else
      printf 'goodbot setup: registered runsc in /etc/docker/daemon.json; restart the Docker engine to load it\n' >&2
    fi
  fi
  for _ in $(seq 30); do
    as_root docker info --format '{{json .Runtimes}}' 2>/dev/null | grep -q '"runsc"' && break
    sleep 1
  done
fi
if ! docker version >/dev/null 2>&1; then
  printf 'goodbot setup: the engine answers, but not to %s: add yourself to the docker group (sudo usermod -aG docker %s) and log in again\n' "$(id -un)" "$(id -un)" >&2
fi

# 4. npm packages at the versions package-lock.json records, reinstalled only
#    when it changed. Not `npm ci`: jco's dependencies name optional native
#    packages for other platforms, which the lock does not list (the registry
#    did not have them when it was written), and `npm ci` refuses a lock
#    without them. `npm install` installs the locked versions; `--no-save`
#    keeps it from writing those packages into package-lock.json, so a fresh
#    clone stays exactly as it was cloned.
lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -d node_modules ] || [ "$(cat node_modules/.goodbot-lock 2>/dev/null)" != "$lock_hash" ]; then
  step "installing npm packages"
  npm install --no-save --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.goodbot-lock
fi

# 5. TypeScript -> dist/, and the command line bundled (the CLI runs from there).
step "building goodbot (tsc, then the CLI's bundle)"
npm run -s build

# 6. The fs-times addon: nanosecond-exact timestamps for host-folder zones.
addon=.cache/native/fs-times.node
source_file=src/node/zones/native/fs-times.c
node_include="$(node -p "require('path').join(process.execPath, '..', '..', 'include', 'node')")"
[ -f "$node_include/node_api.h" ] || node_include=/usr/include/node
if [ ! -f "$addon" ] || [ "$source_file" -nt "$addon" ]; then
  step "building the fs-times addon"
  mkdir -p .cache/native
  cc -shared -fPIC -O2 -Wall -Werror -I"$node_include" "$source_file" -o "$addon.tmp"
  mv "$addon.tmp" "$addon"
fi

# 6b. The namespace backend's helpers (src/node/namespace/native), linked
#     statically so their start costs no dynamic loading: ns-launcher (cgroup,
#     idmapped zones, seccomp filter, user, then bwrap) and ns-init (the
#     sandbox's first program).
for helper in ns-launcher ns-init; do
  helper_source=src/node/namespace/native/$helper.c
  if [ ! -f ".cache/native/$helper" ] || [ "$helper_source" -nt ".cache/native/$helper" ]; then
    step "building the namespace backend's $helper"
    mkdir -p .cache/native
    libs=; [ "$helper" = ns-launcher ] && libs=-lseccomp
    cc -static -O2 -Wall -Werror "$helper_source" $libs -o ".cache/native/$helper.tmp"
    mv ".cache/native/$helper.tmp" ".cache/native/$helper"
  fi
done

# 7. Test and benchmark guests (our own C programs) -> .cache/guests/.
step "building guests"
node wasm-tools/build-guests.mjs

# 8. The default tool catalog (wasm-tools/recipes: busybox, python3, lua, jq,
#    sqlite3, rg, ruby, js) -> .cache/tools/, from Debian source packages and
#    npm packages. Each build is cached by its recipe's hash: the first run
#    takes minutes (progress below), later runs none.
step "building the tool catalog"
node dist/node/cli/main.js tools build --default

# 9. The Docker backend's tools image (wasm-tools/images/tools): debootstrap
#    from apt's Debian mirror, imported into the engine as goodbot/tools:<hash>.
#    About two minutes the first time; later runs only check that it is there.
step "building the Docker tools image"
node dist/node/cli/main.js docker build-image >/dev/null

# 10. The namespace backend's root filesystem: the same userland, unpacked
#     into .cache/rootfs (exported from the engine's image: seconds).
step "unpacking the namespace backend's root filesystem"
node dist/node/cli/main.js namespace build-rootfs >/dev/null
step "setup done"
