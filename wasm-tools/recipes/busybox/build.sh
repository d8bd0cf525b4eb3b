#!/usr/bin/env bash
# busybox (Debian bookworm, 1.35) as one WASI preview1 command module that
# dispatches on basename(argv[0]) like any busybox multi-call binary.
# GOODBOT_OUT gets:
#   busybox.wasm    the module; argv[0] "sort", "/bin/sort" or "sort.wasm" runs
#                   sort, argv[0] "busybox" takes the applet from argv[1]
#   applets.txt     the applet names, one per line
#   busybox.config  the full .config it was built with
#   LICENSE         GPL-2.0-only
# Only applets that need no sockets, ttys or devices are built
# (busybox.config); those that start commands (xargs, find -exec, env CMD,
# nohup) do it through goodbot's process interface
# (wasm-tools/lib/process); wasi/ holds stubs for what wasi-libc lacks, patches/ the
# few source changes, each explained in the patch.
source "$GOODBOT_LIB/common.sh"
need_debs make gcc libc6-dev patch   # busybox's kconfig and generators run on the host
wasi_toolchain
src="$GOODBOT_WORK/src"
debian_source busybox/bookworm "$src"
cd "$src"
for p in "$GOODBOT_RECIPE"/patches/*.patch; do
  step "applying $(basename "$p")"
  patch -p1 --forward --quiet <"$p"
done

step "configuring busybox"
# allnoconfig, then our fragment on top (busybox's kconfig resets
# KCONFIG_ALLCONFIG values in allnoconfig mode, so merge by hand).
make -s allnoconfig >/dev/null
syms="$(sed -n 's/^\(# \)\{0,1\}\(CONFIG_[A-Z0-9_]*\)[= ].*/\2/p' "$GOODBOT_RECIPE/busybox.config")"
grep -v -w -F "$syms" .config >.config.new || true
grep -E '^(CONFIG_|# CONFIG_.* is not set)' "$GOODBOT_RECIPE/busybox.config" >>.config.new
mv .config.new .config
make -s oldconfig < <(yes "") >/dev/null
# Every line of the fragment must have survived (a typo or an unmet dependency
# would silently drop an applet).
grep -E '^(CONFIG_|# CONFIG_.* is not set)' "$GOODBOT_RECIPE/busybox.config" | while IFS= read -r line; do
  grep -qxF "$line" .config || { echo "config not applied: $line" >&2; exit 1; }
done

step "compiling busybox"
W="$GOODBOT_RECIPE/wasi"
# wasi-libc's optional emulations (signal(), getpid(), times(), mmap()),
# our stub headers for what wasi-libc lacks, and declarations for the stubs.
WASI_FLAGS="-Wno-ignored-optimization-argument -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_MMAN -D_WASI_EMULATED_PROCESS_CLOCKS -D_WASI_EMULATED_GETPID -isystem $W/include -include $W/wasi_compat.h"
P="$GOODBOT_LIB/process"
$CC -Os $WASI_FLAGS -I"$P" -Wall -c "$W/wasi_stubs.c" -o wasi_stubs.o
$CC -Os $WASI_FLAGS -Wall -c "$P/goodbot-process.c" -o goodbot-process.o
# Our own link line: busybox's scripts/trylink wants --start-group and
# other GNU ld options that wasm-ld lacks (and wasm-ld needs no groups).
LINK='$(CC) $(CFLAGS) $(CFLAGS_busybox) $(LDFLAGS) -o $@ -Wl,--gc-sections'
LINK+=' -Wl,--wrap=stat,--wrap=lstat,--wrap=fstat,--wrap=fstatat,--wrap=utimensat,--wrap=futimens,--wrap=spawn,--wrap=spawn_and_wait'
LINK+=' $(core-y) $(libs-y) wasi_stubs.o goodbot-process.o -lm'
LINK+=' -lwasi-emulated-signal -lwasi-emulated-mman -lwasi-emulated-process-clocks -lwasi-emulated-getpid'
make -j"$JOBS" CC="$CC" HOSTCC=gcc AR="$AR" EXTRA_CFLAGS="$WASI_FLAGS" \
  SKIP_STRIP=y cmd_busybox__="$LINK" busybox_unstripped

step "installing busybox.wasm"
# Debug sections only: the name section stays (+4%), so traps and profiles name the function.
"$STRIP" --strip-debug -o "$GOODBOT_OUT/busybox.wasm" busybox_unstripped
# the applet names (what basename(argv[0]) may be), one per line
sed -n '/^const char applet_names\[\]/,/;/s/^"\([^"]*\)" "\\0"$/\1/p' include/applet_tables.h >"$GOODBOT_OUT/applets.txt"
[ "$(wc -l <"$GOODBOT_OUT/applets.txt")" -eq "$(sed -n 's/^#define NUM_APPLETS //p' include/applet_tables.h)" ]
cp .config "$GOODBOT_OUT/busybox.config"
cp LICENSE "$GOODBOT_OUT/LICENSE"
ls -l "$GOODBOT_OUT"
