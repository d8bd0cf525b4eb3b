#!/usr/bin/env bash
# CPython 3.11 (Debian bookworm's python3.11 source) as a WASI preview1 command
# module, with zlib and sqlite3 (both from Debian sources) linked in statically.
# OSError's message shows the errno's name, not WASI's number
# (oserror-errno-names.patch); subprocess and os.system start commands
# through goodbot's process interface. Results in GOODBOT_OUT:
#   python3.wasm                   the interpreter (prefix /usr/local), started
#                                  ahead of time by Wizer (_goodbot_preinit.c)
#   python3-plain.wasm             the same interpreter, not pre-initialized
#   lib/python3.11/**.pyc          the stdlib as sourceless .pyc files
#   lib/python3.11/lib-dynload/    empty; getpath wants it (no warning at start)
#   LICENSE.python
# The guest must see GOODBOT_OUT/lib mounted read-only at /usr/local/lib; the
# interpreter then finds its stdlib without PYTHONHOME or any other variable.
source "$GOODBOT_LIB/common.sh"

W="$GOODBOT_WORK"
DEPS="$W/deps"          # static WASI zlib + sqlite3, headers and libs
mkdir -p "$DEPS/include" "$DEPS/lib"

# tcl and a native cc: sqlite's amalgamation generator; python3.11: the build python.
need_debs tcl gcc libc6-dev make python3.11
BUILD_PYTHON=/usr/bin/python3.11
wasi_toolchain

# ---- zlib ---------------------------------------------------------------
debian_source zlib/bookworm "$W/zlib"
step "building zlib for WASI"
(
  cd "$W/zlib"
  # zlib's own Makefile wants a configure run for the host; the library is
  # just these files, so compile them directly.
  objs=()
  for f in adler32 compress crc32 deflate gzclose gzlib gzread gzwrite infback \
           inffast inflate inftrees trees uncompr zutil; do
    $CC $CFLAGS -D_LARGEFILE64_SOURCE=1 -DHAVE_UNISTD_H -c "$f.c" -o "$f.o"
    objs+=("$f.o")
  done
  $AR rcs "$DEPS/lib/libz.a" "${objs[@]}"
  cp zlib.h zconf.h "$DEPS/include/"
)

# ---- sqlite3 ------------------------------------------------------------
debian_source sqlite3/bookworm "$W/sqlite"
step "generating the sqlite3 amalgamation"
(
  cd "$W/sqlite"
  # A native configure only to get the generator tools (lemon, mkkeywordhash)
  # that produce sqlite3.c; the amalgamation itself is compiled for WASI below.
  env CC=cc CFLAGS=-O1 LDFLAGS= AR=ar RANLIB=ranlib ./configure --disable-tcl --disable-readline >/dev/null
  env CC=cc CFLAGS=-O1 LDFLAGS= make -j"$JOBS" sqlite3.c >/dev/null
)
# The amalgamation takes a core for most of a minute: compile it in the
# background while CPython's (single-threaded) configure runs. configure is
# told the answers its sqlite link checks would find (see SQLITE_ANSWERS).
cp "$W/sqlite/sqlite3.h" "$W/sqlite/sqlite3ext.h" "$DEPS/include/"
step "building sqlite3 for WASI (in the background)"
# No threads, no mmap, no WAL (needs shared memory), no extension loading;
# the "unix-none" VFS takes no file locks (WASI preview1 has none).
# shellcheck disable=SC2086
(cd "$W/sqlite" && exec $CC $CFLAGS -include "$GOODBOT_RECIPE/sqlite-wasi.h" -D_WASI_EMULATED_GETPID \
   -DSQLITE_DEFAULT_UNIX_VFS='"unix-none"' -DSQLITE_THREADSAFE=0 \
   -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_OMIT_WAL -DSQLITE_MAX_MMAP_SIZE=0 \
   -DSQLITE_OMIT_DEPRECATED -DSQLITE_ENABLE_MATH_FUNCTIONS -DSQLITE_ENABLE_FTS5 \
   -DSQLITE_DEFAULT_MEMSTATUS=0 -DHAVE_USLEEP=1 \
   -c sqlite3.c -o sqlite3.o) >"$W/sqlite-build.log" 2>&1 &
SQLITE_PID=$!
trap 'kill "$SQLITE_PID" 2>/dev/null || true' EXIT   # a failed step stops it too
# What configure's AC_CHECK_LIB probes find in the library built above.
SQLITE_ANSWERS=(ac_cv_lib_sqlite3_sqlite3_load_extension=no)
for fn in bind_double column_decltype column_double complete enable_shared_cache \
          progress_handler result_double serialize set_authorizer trace_v2 value_double; do
  SQLITE_ANSWERS+=("ac_cv_lib_sqlite3_sqlite3_$fn=yes")
done

# ---- CPython --------------------------------------------------------------
debian_source python3.11/bookworm "$W/py"
cd "$W/py"
# OSError messages name the errno ("[Errno ENOENT] …"): WASI's numbers are not Linux's (ENOENT is 44).
patch -p1 --forward --quiet <"$GOODBOT_RECIPE/oserror-errno-names.patch"
# goodbot's process interface (wasm-tools/lib/process): the built-in module
# _goodbot_process, on which _goodbot_subprocess.py builds subprocess.Popen
# and os.system, which WASI's CPython lacks.
cp "$GOODBOT_LIB/process/goodbot-process.c" "$GOODBOT_LIB/process/goodbot-process.h" "$GOODBOT_RECIPE/_goodbot_process.c" Modules/
printf '*static*\n_goodbot_process _goodbot_process.c goodbot-process.c\n' >>Modules/Setup.local
# The pre-initialized interpreter's entry points (see _goodbot_preinit.c),
# and the one CPython function it needs that is static: making the standard
# streams of a run.
cp "$GOODBOT_RECIPE/_goodbot_preinit.c" Modules/
printf '*static*\n_goodbot_preinit _goodbot_preinit.c\n' >>Modules/Setup.local
printf '\nPyStatus _Py_GoodbotInitStdio(PyThreadState *tstate) { return init_sys_streams(tstate); }\n' >>Python/pylifecycle.c
cp "$GOODBOT_RECIPE/_goodbot_subprocess.py" Lib/
printf '\nif sys.platform == "wasi":\n    import _goodbot_subprocess\n    _goodbot_subprocess.install(globals())\n' >>Lib/subprocess.py
printf '\nif sys.platform == "wasi" and "system" not in globals():\n    from _goodbot_subprocess import system\n' >>Lib/os.py
step "configuring CPython for wasm32-wasi"
# The host's python3.11 (same 3.11.2 source, same bytecode) runs freeze and
# deepfreeze, so no build-python has to be compiled first. OPT drops the
# default -g -O3: debug info doubled compile time and the module's size.
env "${SQLITE_ANSWERS[@]}" \
CONFIG_SITE=Tools/wasm/config.site-wasm32-wasi OPT="-DNDEBUG -fwrapv -O2 -Wall" \
PKG_CONFIG_LIBDIR="$DEPS/no-pkgconfig" PKG_CONFIG_PATH= \
ZLIB_CFLAGS="-I$DEPS/include" ZLIB_LIBS="-L$DEPS/lib -lz" \
LIBSQLITE3_CFLAGS="-I$DEPS/include" LIBSQLITE3_LIBS="-L$DEPS/lib -lsqlite3" \
  ./configure --host=wasm32-unknown-wasi --build="$(./config.guess)" \
    --with-build-python="$BUILD_PYTHON" --prefix=/usr/local \
    --disable-test-modules --without-ensurepip --disable-ipv6 \
    >"$W/configure.log" 2>&1 || { tail -40 "$W/configure.log"; exit 1; }
for module in _sqlite3 zlib _md5 _sha1 _sha256 _json _csv _datetime; do
  grep -q "^MODULE_$(echo "$module" | tr a-z A-Z)_STATE=yes" Makefile ||
    { echo "configure did not enable $module" >&2; exit 1; }
done

wait "$SQLITE_PID" || { tail -40 "$W/sqlite-build.log"; echo "sqlite3 build failed" >&2; exit 1; }
trap - EXIT
$AR rcs "$DEPS/lib/libsqlite3.a" "$W/sqlite/sqlite3.o"

step "building CPython (the long part)"
make -j"$JOBS" python.wasm pybuilddir.txt >"$W/make.log" 2>&1 || { tail -60 "$W/make.log"; exit 1; }

step "compiling the stdlib to .pyc"
"$BUILD_PYTHON" "$GOODBOT_RECIPE/make-stdlib.py" Lib \
  "$(cat pybuilddir.txt)/_sysconfigdata__wasi_wasm32-wasi.py" Makefile \
  "$GOODBOT_OUT/lib/python3.11" /usr/local/lib/python3.11

step "installing python3.wasm"
# Debug sections only: the name section stays, so traps name the function.
llvm-strip --strip-debug -o "$GOODBOT_OUT/python3-plain.wasm" python.wasm
cp LICENSE "$GOODBOT_OUT/LICENSE.python"

step "pre-initializing python3.wasm with Wizer"
case "$(uname -m)" in
  x86_64) wizer_platform=linux-x64 ;;
  aarch64) wizer_platform=linux-arm64 ;;
  *) echo "Wizer has no build for $(uname -m)" >&2; exit 1 ;;
esac
npm_package "@bytecodealliance/wizer-$wizer_platform@10.0.0" "$W/wizer"
# No environment and no arguments but the name; the stdlib where runs see it.
"$W/wizer/wizer" --allow-wasi --inherit-env false --mapdir "/usr/local/lib::$GOODBOT_OUT/lib" \
  --rename-func _start=goodbot_resume -o "$GOODBOT_OUT/python3.wasm" "$GOODBOT_OUT/python3-plain.wasm"
step "done: python3.wasm $(du -h "$GOODBOT_OUT/python3.wasm" | cut -f1), stdlib $(du -sh "$GOODBOT_OUT/lib" | cut -f1)"
