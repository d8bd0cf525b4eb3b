# sqlite3: the SQLite 3.40 shell (Debian's sqlite3 source) as a WASI preview1
# command module, sqlite3.wasm. The amalgamation (sqlite3.c, shell.c) is
# generated natively with tclsh, then compiled for WASI.
#
# WASI preview1 has no file locks (no fcntl F_SETLK) and no shared memory, so:
# - the default VFS is "unix-none": no locking. Databases in read-only zones
#   stay readable (the "unix-dotfile" VFS, upstream's later WASI default,
#   needs to mkdir DB.lock even to read, and leaves a stale lock behind when a
#   guest is stopped mid-transaction). The rollback journal still makes each
#   commit atomic; mutual exclusion between concurrent guests writing one file
#   is opt-in with `-vfs unix-dotfile`.
# - WAL is compiled out (it needs a shared-memory wal-index) and so is mmap;
#   a WAL-mode database must be switched back (PRAGMA journal_mode=DELETE) by
#   the host before the guest can open it.
# - temp tables and sort spills live in memory (SQLITE_TEMP_STORE=2): guests
#   often have no writable temp folder.
source "$GOODBOT_LIB/common.sh"
need_debs tcl gcc libc6-dev make

src="$GOODBOT_WORK/sqlite3"
debian_source sqlite3/bookworm "$src"
patch -d "$src" -p1 --forward <"$GOODBOT_RECIPE/wasi-randomness.patch" >/dev/null

step "generating the amalgamation (native tclsh)"
mkdir -p "$GOODBOT_WORK/native"
(cd "$GOODBOT_WORK/native" && env -u CC -u CFLAGS "$src/configure" --disable-tcl --disable-readline >/dev/null &&
  make -j"$JOBS" sqlite3.c shell.c >/dev/null)
version="$(sed -n 's/^#define SQLITE_VERSION *"\(.*\)"/\1/p' "$GOODBOT_WORK/native/sqlite3.h")"

wasi_toolchain
step "compiling sqlite3 $version for WASI"
amalg="$GOODBOT_WORK/native"
sqlite_flags=(
  -DSQLITE_OS_UNIX=1 -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION
  -DSQLITE_OMIT_WAL -DSQLITE_MAX_MMAP_SIZE=0 -DSQLITE_TEMP_STORE=2
  '-DSQLITE_DEFAULT_UNIX_VFS="unix-none"'
  -DSQLITE_ENABLE_FTS4 -DSQLITE_ENABLE_FTS5 -DSQLITE_ENABLE_RTREE
  -DSQLITE_ENABLE_MATH_FUNCTIONS -DSQLITE_ENABLE_DBSTAT_VTAB
  -D_WASI_EMULATED_GETPID -I"$WASI_STUBS_INCLUDE" -include wasi-stubs.h
  -include "$GOODBOT_RECIPE/sqlite-wasi.h"
)
shell_flags=(
  -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_OMIT_POPEN -DHAVE_READLINE=0 -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_PROCESS_CLOCKS
  -I"$WASI_STUBS_INCLUDE" -include wasi-stubs.h -I"$amalg"
)
obj="$GOODBOT_WORK/obj"
mkdir -p "$obj"
# shellcheck disable=SC2086
$CC $CFLAGS "${sqlite_flags[@]}" -c "$amalg/sqlite3.c" -o "$obj/sqlite3.o" &
pid=$!
# shellcheck disable=SC2086
$CC $CFLAGS "${shell_flags[@]}" -c "$amalg/shell.c" -o "$obj/shell.o"
# shellcheck disable=SC2086
$CC $CFLAGS -I"$WASI_STUBS_INCLUDE" -c "$GOODBOT_LIB/wasi-stubs/src/wasi-stubs.c" -o "$obj/wasi-stubs.o"
wait "$pid"

step "linking sqlite3.wasm"
# 1 MiB of C stack (wasm-ld gives 64 KiB) for deep expression trees
# shellcheck disable=SC2086
$CC $CFLAGS -o "$GOODBOT_OUT/sqlite3.wasm" "$obj"/*.o "$WASI_STARTUP_OBJ" \
  -lwasi-emulated-signal -lwasi-emulated-getpid -lwasi-emulated-process-clocks -Wl,--strip-debug -Wl,-z,stack-size=$((1024 * 1024))
[ -s "$GOODBOT_OUT/sqlite3.wasm" ]
mkdir -p "$GOODBOT_OUT/licenses"
cp "$src/debian/copyright" "$GOODBOT_OUT/licenses/sqlite3.copyright"
step "done: sqlite3.wasm ($(du -k "$GOODBOT_OUT/sqlite3.wasm" | cut -f1) KiB)"
