# lua: the Lua 5.4 standalone interpreter (Debian's lua5.4) as a WASI preview1
# command module, lua.wasm. Lua's errors use setjmp/longjmp: every file is
# compiled for goodbot's sjlj runtime (wasm exception handling).
source "$GOODBOT_LIB/common.sh"
wasi_toolchain

src="$GOODBOT_WORK/lua5.4"
debian_source lua5.4/bookworm "$src"

step "compiling lua $(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)"
# Debian's luaconf.h includes a generated header naming the multiarch triplet
# (used only in the default package.cpath)
printf '#define DEB_HOST_MULTIARCH "wasm32-wasi"\n' >"$src/src/lua5.4-deb-multiarch.h"
SJLJ="-I$GOODBOT_LIB/sjlj/include -mllvm -wasm-enable-sjlj"
flags="$CFLAGS $SJLJ -I$WASI_STUBS_INCLUDE -include $GOODBOT_RECIPE/luaconf-wasi.h
  -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_PROCESS_CLOCKS -DLUA_COMPAT_5_3 -Wno-deprecated-declarations"
obj="$GOODBOT_WORK/obj"
mkdir -p "$obj"
sources=("$GOODBOT_LIB/sjlj/sjlj.c" "$GOODBOT_LIB/wasi-stubs/src/wasi-stubs.c")
for file in "$src"/src/*.c; do
  case "$(basename "$file")" in luac.c) continue ;; esac
  sources+=("$file")
done
# shellcheck disable=SC2086
printf '%s\n' "${sources[@]}" | xargs -P "$JOBS" -I{} sh -c '$0 $1 -c "$2" -o "$3/$(basename "$2" .c).o"' "$CC" "$flags" {} "$obj"

step "linking lua.wasm"
# 1 MiB of C stack (wasm-ld gives 64 KiB): Lua allows 200 nested C calls
# (LUAI_MAXCCALLS) and reports "C stack overflow" only if they fit
# shellcheck disable=SC2086
$CC $CFLAGS -o "$GOODBOT_OUT/lua.wasm" "$obj"/*.o "$WASI_STARTUP_OBJ" \
  -lwasi-emulated-signal -lwasi-emulated-process-clocks -Wl,--strip-debug \
  -Wl,-z,stack-size=$((1024 * 1024))
[ -s "$GOODBOT_OUT/lua.wasm" ]
mkdir -p "$GOODBOT_OUT/licenses"
cp "$src/debian/copyright" "$GOODBOT_OUT/licenses/lua5.4.copyright"
step "done: lua.wasm ($(du -k "$GOODBOT_OUT/lua.wasm" | cut -f1) KiB)"
