/*
 * wasi-checks: our own port of the assertions of WebAssembly/wasi-testsuite
 * (tests/rust/wasm32-wasip1, tests/c, tests/assemblyscript/wasm32-wasip1) into
 * one C guest, so that goodbot's preview1 host can be checked against them
 * without the suite's prebuilt binaries.
 *
 *   wasi-checks NAME...     run the named checks, in the order given
 *   wasi-checks all         run every check that needs no special setup
 *   wasi-checks --list      list the checks (name, flags, origin)
 *   wasi-checks             (no arguments) runs args_sizes_get_no_arguments
 *
 * Each check prints exactly one line on stdout:
 *
 *   PASS name
 *   FAIL name: <step>: expected <...>, got <...>
 *
 * and the exit code is 0 only if every check passed. Errnos are printed by
 * their WASI names (EBADF, ENOTDIR, ...; "success" for 0).
 *
 * Filesystem checks work inside a fresh scratch directory
 * `wasi-checks-NAME.cleanup` that they create under the first preopen (found
 * as the suite does: fd_prestat_get from fd 3 up to the first error) and
 * remove afterwards. As in the suite's Rust tests, the final removal of the
 * scratch directory must succeed (so a check that leaves entries behind, or a
 * host whose unlink does not unlink, fails).
 *
 * Setup-dependent checks (marked SETUP, not part of `all`):
 *   args_get_multiple_arguments, args_sizes_get_multiple_arguments
 *       run as: wasi-checks NAME first 'the "second" arg' 3
 *   args_sizes_get_no_arguments
 *       run with no arguments at all (argv = [program])
 *   environ_get_multiple_variables      env exactly a=text, b=escap " ing, c=new\nline
 *   environ_sizes_get_multiple_variables env exactly 3 variables (a=b, b=c, c=d)
 *   environ_sizes_get_no_variables      empty environment
 *   fopen_with_no_access, sock_shutdown_invalid_fd   no preopens at all
 *   proc_exit_success (exit 0), proc_exit_failure (exit 33): they end the process
 *   fd_write_to_stdout: writes "hello" then "\n" before its PASS line
 *   close_preopen: consumes the first preopen, so it needs a run of its own
 * overwrite_preopen also consumes the first preopen: `all` runs it last.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

#include "errno-names.h"

/* ------------------------------------------------------------------------ */
/* errno names and output                                                    */

/* "success", "EBADF", ... (wasi-libc's errno values are the WASI errno numbers). */
static const char *ename(int e) {
    static char buf[4][32];
    static int next;
    if (e == 0) return "success";
    char *out = buf[next++ & 3];
    if (e > 0 && e < ERRNO_NAME_COUNT) {
        snprintf(out, 32, "E%s", errno_names[e]);
    } else {
        snprintf(out, 32, "errno %d", e);
    }
    return out;
}

/* Writes to fd 1 with raw fd_write: no libc buffering, whatever stdio checks do. */
static void emit(const char *text) {
    size_t len = strlen(text);
    while (len > 0) {
        __wasi_ciovec_t iov = {(const uint8_t *)text, len};
        __wasi_size_t n = 0;
        if (__wasi_fd_write(1, &iov, 1, &n) != 0 || n == 0) return;
        text += n;
        len -= n;
    }
}

/* ------------------------------------------------------------------------ */
/* assertion macros: a failing check records a message and returns 1         */

static char g_fail[1536];

#define NALTS(a) ((int)(sizeof(a) / sizeof *(a)))
#define E_(x) __WASI_ERRNO_##x
#define R_(x) __WASI_RIGHTS_##x

static int in_set(int e, const int *alts, int n) {
    for (int i = 0; i < n; i++)
        if (alts[i] == e) return 1;
    return 0;
}

static const char *alts_text(const int *alts, int n) {
    static char buf[256];
    buf[0] = 0;
    for (int i = 0; i < n; i++) {
        size_t used = strlen(buf);
        const char *sep = i == 0 ? "" : (i == n - 1 ? " or " : ", ");
        snprintf(buf + used, sizeof buf - used, "%s%s", sep, ename(alts[i]));
    }
    return buf;
}

#define FAILF(...)                                  \
    do {                                            \
        snprintf(g_fail, sizeof g_fail, __VA_ARGS__); \
        return 1;                                   \
    } while (0)

/* The call must succeed. */
#define OK(expr, what)                                                              \
    do {                                                                            \
        int e_ = (int)(expr);                                                       \
        if (e_ != 0) FAILF("%s: expected success, got %s", (what), ename(e_));       \
    } while (0)

/* The call must fail with one of the listed errnos. */
#define ERR(expr, what, ...)                                                                  \
    do {                                                                                      \
        static const int alts_[] = {__VA_ARGS__};                                             \
        int e_ = (int)(expr);                                                                 \
        if (!in_set(e_, alts_, NALTS(alts_)))                                                 \
            FAILF("%s: expected %s, got %s", (what), alts_text(alts_, NALTS(alts_)), ename(e_)); \
    } while (0)

#define EQ(got, exp, what)                                                                    \
    do {                                                                                      \
        uint64_t g_ = (uint64_t)(got), x_ = (uint64_t)(exp);                                  \
        if (g_ != x_) FAILF("%s: expected %" PRIu64 ", got %" PRIu64, (what), x_, g_);         \
    } while (0)

#define EQX(got, exp, what)                                                                   \
    do {                                                                                      \
        uint64_t g_ = (uint64_t)(got), x_ = (uint64_t)(exp);                                  \
        if (g_ != x_) FAILF("%s: expected 0x%" PRIx64 ", got 0x%" PRIx64, (what), x_, g_);     \
    } while (0)

#define TRUE(cond, ...)              \
    do {                             \
        if (!(cond)) FAILF(__VA_ARGS__); \
    } while (0)

/* Sub-step helpers (functions returning 0/1) propagate failure. */
#define RUN(call)               \
    do {                        \
        if ((call) != 0) return 1; \
    } while (0)

/* path_open with an explicit path length (the api.h wrapper uses strlen). */
__attribute__((import_module("wasi_snapshot_preview1"), import_name("path_open"))) int32_t
raw_path_open(int32_t fd, int32_t dirflags, int32_t path, int32_t path_len, int32_t oflags, int64_t base,
              int64_t inheriting, int32_t fdflags, int32_t out);

/* ------------------------------------------------------------------------ */
/* context                                                                   */

typedef struct {
    const char *name;
    int argc;
    char **argv;
    __wasi_fd_t pre;      /* first preopen */
    char pre_name[256];   /* its guest path */
    __wasi_fd_t root;     /* path_open(pre, ".") with the preopen's rights, as root_directory() */
    __wasi_fd_t dir;      /* the scratch directory, opened like create_tmp_dir */
    char scratch[160];    /* scratch directory name (relative to root) */
    char libc_base[512];  /* guest path of the scratch directory, for wasi-libc calls */
} ctx_t;

static const __wasi_rights_t tmp_dir_base =
    R_(FD_FILESTAT_GET) | R_(FD_READDIR) | R_(PATH_CREATE_FILE) | R_(PATH_CREATE_DIRECTORY) |
    R_(PATH_REMOVE_DIRECTORY) | R_(PATH_OPEN) | R_(PATH_UNLINK_FILE) | R_(PATH_LINK_SOURCE) |
    R_(PATH_LINK_TARGET) | R_(PATH_READLINK) | R_(PATH_RENAME_SOURCE) | R_(PATH_RENAME_TARGET) |
    R_(PATH_FILESTAT_GET) | R_(PATH_FILESTAT_SET_SIZE) | R_(PATH_FILESTAT_SET_TIMES) | R_(PATH_SYMLINK);
static const __wasi_rights_t tmp_dir_inheriting =
    R_(FD_READ) | R_(FD_WRITE) | R_(FD_READDIR) | R_(FD_FILESTAT_GET) | R_(FD_SEEK) | R_(PATH_LINK_SOURCE) |
    R_(PATH_LINK_TARGET) | R_(PATH_OPEN) | R_(PATH_UNLINK_FILE) | R_(PATH_FILESTAT_GET) |
    R_(FD_FDSTAT_SET_FLAGS) | R_(FD_SYNC) | R_(FD_TELL) | R_(FD_ADVISE) | R_(FD_ALLOCATE) |
    R_(FD_FILESTAT_SET_SIZE) | R_(FD_FILESTAT_SET_TIMES);

/* A guest path (for wasi-libc) of `rel` inside the scratch directory. */
static const char *lpath(ctx_t *c, const char *rel) {
    static char buf[4][768];
    static int next;
    char *out = buf[next++ & 3];
    snprintf(out, sizeof buf[0], "%s/%s", c->libc_base, rel);
    return out;
}

/* ------------------------------------------------------------------------ */
/* small I/O helpers                                                         */

static __wasi_errno_t write1(__wasi_fd_t fd, const void *buf, size_t len, __wasi_size_t *n) {
    __wasi_ciovec_t iov = {(const uint8_t *)buf, len};
    return __wasi_fd_write(fd, &iov, 1, n);
}

static __wasi_errno_t read1(__wasi_fd_t fd, void *buf, size_t len, __wasi_size_t *n) {
    __wasi_iovec_t iov = {(uint8_t *)buf, len};
    return __wasi_fd_read(fd, &iov, 1, n);
}

static __wasi_errno_t pwrite1(__wasi_fd_t fd, const void *buf, size_t len, uint64_t off, __wasi_size_t *n) {
    __wasi_ciovec_t iov = {(const uint8_t *)buf, len};
    return __wasi_fd_pwrite(fd, &iov, 1, off, n);
}

static __wasi_errno_t pread1(__wasi_fd_t fd, void *buf, size_t len, uint64_t off, __wasi_size_t *n) {
    __wasi_iovec_t iov = {(uint8_t *)buf, len};
    return __wasi_fd_pread(fd, &iov, 1, off, n);
}

/* The suite's create_file: path_open(CREAT, no rights), fd > 2, close. */
static int create_file(__wasi_fd_t dir, const char *name) {
    __wasi_fd_t fd;
    char what[256];
    snprintf(what, sizeof what, "create_file: path_open(\"%s\", CREAT)", name);
    OK(__wasi_path_open(dir, 0, name, __WASI_OFLAGS_CREAT, 0, 0, 0, &fd), what);
    TRUE(fd > 2, "create_file(\"%s\"): file descriptor range check: got fd %u", name, fd);
    snprintf(what, sizeof what, "create_file: fd_close(\"%s\")", name);
    OK(__wasi_fd_close(fd), what);
    return 0;
}

/* Creates `name` holding `text` (fixtures for the ported C tests). */
static int create_file_with(__wasi_fd_t dir, const char *name, const char *text) {
    __wasi_fd_t fd;
    __wasi_size_t n;
    char what[256];
    snprintf(what, sizeof what, "fixture: path_open(\"%s\", CREAT|TRUNC, FD_WRITE)", name);
    OK(__wasi_path_open(dir, 0, name, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, R_(FD_WRITE), 0, 0, &fd), what);
    size_t len = strlen(text), done = 0;
    while (done < len) {
        snprintf(what, sizeof what, "fixture: fd_write(\"%s\")", name);
        OK(write1(fd, text + done, len - done, &n), what);
        TRUE(n > 0, "fixture: fd_write(\"%s\") wrote 0 bytes", name);
        done += n;
    }
    OK(__wasi_fd_close(fd), "fixture: fd_close");
    return 0;
}

/* Removes `name` under `parent`, recursively; best effort (cleanup only). */
static void rm_tree(__wasi_fd_t parent, const char *name, int depth) {
    if (__wasi_path_unlink_file(parent, name) == 0) return;
    if (__wasi_path_remove_directory(parent, name) == 0) return;
    __wasi_fd_t d;
    if (depth < 16 && __wasi_path_open(parent, 0, name, __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &d) == 0) {
        static uint8_t bufs[16][4096];
        uint8_t *buf = bufs[depth];
        for (int round = 0; round < 64; round++) {
            __wasi_size_t used = 0;
            if (__wasi_fd_readdir(d, buf, 4096, 0, &used) != 0) break;
            int removed = 0;
            size_t at = 0;
            char entry[256];
            while (at + sizeof(__wasi_dirent_t) <= used) {
                __wasi_dirent_t ent;
                memcpy(&ent, buf + at, sizeof ent);
                at += sizeof ent;
                if (at + ent.d_namlen > used || ent.d_namlen >= sizeof entry) break;
                memcpy(entry, buf + at, ent.d_namlen);
                entry[ent.d_namlen] = 0;
                at += ent.d_namlen;
                if (strcmp(entry, ".") == 0 || strcmp(entry, "..") == 0) continue;
                rm_tree(d, entry, depth + 1);
                removed++;
            }
            if (removed == 0) break;
        }
        (void)__wasi_fd_close(d);
    }
    (void)__wasi_path_remove_directory(parent, name);
}

/* ------------------------------------------------------------------------ */
/* preopen discovery (as the suite's root_directory())                       */

static int find_preopen(ctx_t *c) {
    for (__wasi_fd_t fd = 3;; fd++) {
        __wasi_prestat_t st;
        if (__wasi_fd_prestat_get(fd, &st) != 0) break;
        if (st.tag != __WASI_PREOPENTYPE_DIR) continue;
        size_t len = st.u.dir.pr_name_len;
        if (len >= sizeof c->pre_name) continue;
        if (__wasi_fd_prestat_dir_name(fd, (uint8_t *)c->pre_name, len) != 0) continue;
        c->pre_name[len] = 0;
        c->pre = fd;
        return 0;
    }
    FAILF("setup: no preopened directory found (fd_prestat_get from fd 3 up to the first error)");
}

static int open_root(ctx_t *c) {
    __wasi_fdstat_t st;
    OK(__wasi_fd_fdstat_get(c->pre, &st), "setup: fd_fdstat_get(preopen)");
    OK(__wasi_path_open(c->pre, 0, ".", __WASI_OFLAGS_DIRECTORY, st.fs_rights_base, st.fs_rights_inheriting, 0,
                        &c->root),
       "setup: path_open(preopen, \".\", DIRECTORY, preopen rights)");
    return 0;
}

static int setup_scratch(ctx_t *c) {
    snprintf(c->scratch, sizeof c->scratch, "wasi-checks-%s.cleanup", c->name);
    rm_tree(c->root, c->scratch, 0); /* leftovers of an earlier run */
    OK(__wasi_path_create_directory(c->root, c->scratch), "setup: path_create_directory(scratch)");
    OK(__wasi_path_open(c->root, 0, c->scratch, __WASI_OFLAGS_DIRECTORY, tmp_dir_base, tmp_dir_inheriting, 0,
                        &c->dir),
       "setup: path_open(scratch, DIRECTORY)");
    size_t plen = strlen(c->pre_name);
    if (plen > 0 && c->pre_name[plen - 1] == '/') {
        snprintf(c->libc_base, sizeof c->libc_base, "%s%s", c->pre_name, c->scratch);
    } else {
        snprintf(c->libc_base, sizeof c->libc_base, "%s/%s", c->pre_name, c->scratch);
    }
    return 0;
}

/* ======================================================================== */
/* Rust tests (tests/rust/wasm32-wasip1/src/bin)                             */

static int ck_big_random_buf(ctx_t *c) {
    (void)c;
    static uint8_t buf[1024];
    memset(buf, 0, sizeof buf);
    OK(__wasi_random_get(buf, sizeof buf), "random_get(1024)");
    for (size_t i = 0; i < sizeof buf; i++)
        if (buf[i] != 0) return 0;
    FAILF("random_get(1024): expected some non-zero bytes, got 1024 zero bytes");
}

static int ck_clock_time_get(ctx_t *c) {
    (void)c;
    __wasi_timestamp_t t0, t1, t2;
    OK(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t0), "clock_time_get(MONOTONIC, precision 1)");
    OK(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 0, &t1), "clock_time_get(MONOTONIC, precision 0)");
    OK(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 0, &t2), "clock_time_get(MONOTONIC) again");
    TRUE(t1 <= t2, "MONOTONIC must not go backwards: expected %" PRIu64 " <= %" PRIu64, t1, t2);
    return 0;
}

static int ck_close_preopen(ctx_t *c) {
    __wasi_fd_t pre = 3, dir = c->root;
    TRUE(dir > pre, "dir_fd number: expected the root dir fd (%u) > 3", dir);
    OK(__wasi_fd_close(pre), "fd_close(3) (the preopen)");
    __wasi_fdstat_t st;
    OK(__wasi_fd_fdstat_get(dir, &st), "fd_fdstat_get(root dir fd) after closing the preopen");
    EQ(st.fs_filetype, __WASI_FILETYPE_DIRECTORY, "root dir fd filetype after closing the preopen");
    ERR(__wasi_fd_fdstat_get(pre, &st), "fd_fdstat_get(3) after fd_close(3)", E_(BADF));
    return 0;
}

static int ck_dangling_fd(ctx_t *c) {
    __wasi_fd_t fd;
    const char *file = "dangling_fd_file.cleanup", *sub = "dangling_fd_subdir.cleanup";
    OK(__wasi_path_open(c->dir, 0, file, __WASI_OFLAGS_CREAT, 0, 0, 0, &fd), "path_open(file, CREAT)");
    OK(__wasi_fd_close(fd), "fd_close(file)");
    OK(__wasi_path_open(c->dir, 0, file, 0, 0, 0, 0, &fd), "path_open(file) again");
    TRUE(fd > 2, "file descriptor range check: got %u", fd);
    OK(__wasi_fd_close(fd), "fd_close(file)");
    OK(__wasi_path_unlink_file(c->dir, file), "path_unlink_file(file)");
    OK(__wasi_path_open(c->dir, 0, file, __WASI_OFLAGS_CREAT, 0, 0, 0, &fd), "path_open(file, CREAT) after unlink");
    OK(__wasi_fd_close(fd), "fd_close(file)");
    OK(__wasi_path_unlink_file(c->dir, file), "path_unlink_file(file) 2");
    OK(__wasi_path_create_directory(c->dir, sub), "path_create_directory(subdir)");
    OK(__wasi_path_open(c->dir, 0, sub, __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &fd), "path_open(subdir, DIRECTORY)");
    TRUE(fd > 2, "file descriptor range check: got %u", fd);
    OK(__wasi_fd_close(fd), "fd_close(subdir)");
    OK(__wasi_path_remove_directory(c->dir, sub), "path_remove_directory(subdir)");
    OK(__wasi_path_create_directory(c->dir, sub), "path_create_directory(subdir) again");
    OK(__wasi_path_remove_directory(c->dir, sub), "cleanup: path_remove_directory(subdir)");
    return 0;
}

static int ck_dangling_symlink(ctx_t *c) {
    const char *link = "dangling_symlink_symlink.cleanup";
    __wasi_fd_t fd;
    if (__wasi_path_symlink("target", c->dir, link) != 0) return 0; /* the suite skips the test then */
    ERR(__wasi_path_open(c->dir, 0, link, __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &fd),
        "path_open(dangling symlink, DIRECTORY, no follow)", E_(NOTDIR), E_(LOOP));
    ERR(__wasi_path_open(c->dir, 0, link, 0, 0, 0, 0, &fd), "path_open(dangling symlink, no follow)", E_(LOOP));
    OK(__wasi_path_unlink_file(c->dir, link), "path_unlink_file(symlink)");
    return 0;
}

static int ck_dir_fd_op_failures(ctx_t *c) {
    __wasi_fd_t dir = c->root;
    __wasi_filestat_t fst;
    OK(__wasi_fd_filestat_get(dir, &fst), "fd_filestat_get(dir)");
    EQ(fst.filetype, __WASI_FILETYPE_DIRECTORY, "fd_filestat_get(dir).filetype");

    /* the first preopen, scanning from 3 while fd_prestat_get succeeds */
    __wasi_fd_t pr_fd = 0;
    size_t pr_len = 0;
    for (__wasi_fd_t fd = 3;; fd++) {
        __wasi_prestat_t st;
        if (__wasi_fd_prestat_get(fd, &st) != 0) break;
        if (st.tag == __WASI_PREOPENTYPE_DIR) {
            pr_fd = fd;
            pr_len = st.u.dir.pr_name_len;
            break;
        }
    }
    TRUE(pr_fd != 0, "failed to find a preopen directory");
    static uint8_t name[300];
    TRUE(pr_len + 1 < sizeof name, "preopen name too long for this check (%zu)", pr_len);
    ERR(__wasi_fd_prestat_dir_name(pr_fd, name, 0), "fd_prestat_dir_name(preopen, len 0)", E_(INVAL),
        E_(NAMETOOLONG));
    OK(__wasi_fd_prestat_dir_name(pr_fd, name, pr_len + 1), "fd_prestat_dir_name(preopen, len + 1)");

    static uint8_t buf[128];
    __wasi_size_t n;
    __wasi_filesize_t pos;
    ERR(read1(dir, buf, sizeof buf, &n), "fd_read(dir)", E_(ISDIR), E_(BADF), E_(NOTCAPABLE));
    ERR(pread1(dir, buf, sizeof buf, 0, &n), "fd_pread(dir)", E_(ISDIR), E_(BADF), E_(NOTCAPABLE));
    ERR(write1(dir, buf, sizeof buf, &n), "fd_write(dir)", E_(ISDIR), E_(BADF), E_(NOTCAPABLE));
    ERR(pwrite1(dir, buf, sizeof buf, 0, &n), "fd_pwrite(dir)", E_(ISDIR), E_(BADF), E_(NOTCAPABLE));
    ERR(__wasi_fd_seek(dir, 0, __WASI_WHENCE_CUR, &pos), "fd_seek(dir, 0, CUR)", E_(ISDIR), E_(BADF),
        E_(NOTCAPABLE));
    ERR(__wasi_fd_seek(dir, 0, __WASI_WHENCE_SET, &pos), "fd_seek(dir, 0, SET)", E_(ISDIR), E_(BADF),
        E_(NOTCAPABLE));
    ERR(__wasi_fd_seek(dir, 0, __WASI_WHENCE_END, &pos), "fd_seek(dir, 0, END)", E_(ISDIR), E_(BADF),
        E_(NOTCAPABLE));
    ERR(__wasi_fd_tell(dir, &pos), "fd_tell(dir)", E_(ISDIR), E_(BADF), E_(NOTCAPABLE));
    ERR(__wasi_fd_allocate(dir, 0, 1), "fd_allocate(dir, 0, 1)", E_(ISDIR), E_(BADF), E_(NOTCAPABLE));
    ERR(__wasi_fd_filestat_set_size(dir, 0), "fd_filestat_set_size(dir, 0)", E_(ISDIR), E_(INVAL), E_(BADF),
        E_(NOTCAPABLE));
    return 0;
}

static int ck_directory_seek(ctx_t *c) {
    const char *name = "directory_seek_dir.cleanup";
    __wasi_fd_t fd;
    __wasi_filesize_t pos;
    __wasi_fdstat_t st;
    OK(__wasi_path_create_directory(c->dir, name), "path_create_directory(dir)");
    OK(__wasi_path_open(c->dir, 0, name, __WASI_OFLAGS_DIRECTORY, R_(FD_SEEK), 0, 0, &fd),
       "path_open(dir, DIRECTORY, FD_SEEK)");
    TRUE(fd > 2, "file descriptor range check: got %u", fd);
    ERR(__wasi_fd_seek(fd, 0, __WASI_WHENCE_CUR, &pos), "fd_seek(dir, 0, CUR)", E_(ISDIR), E_(NOTCAPABLE),
        E_(BADF));
    OK(__wasi_fd_fdstat_get(fd, &st), "fd_fdstat_get(dir)");
    EQ(st.fs_filetype, __WASI_FILETYPE_DIRECTORY, "fd_fdstat_get(dir).fs_filetype");
    EQX(st.fs_rights_base & R_(FD_SEEK), 0, "fd_fdstat_get(dir).fs_rights_base & FD_SEEK");
    OK(__wasi_fd_close(fd), "fd_close(dir)");
    OK(__wasi_path_remove_directory(c->dir, name), "path_remove_directory(dir)");
    return 0;
}

static int ck_fd_advise(ctx_t *c) {
    const char *name = "fd_advise_file.cleanup";
    __wasi_fd_t fd;
    __wasi_filestat_t st;
    OK(__wasi_path_open(c->dir, 0, name, __WASI_OFLAGS_CREAT,
                        R_(FD_READ) | R_(FD_WRITE) | R_(FD_ADVISE) | R_(FD_FILESTAT_GET) | R_(FD_FILESTAT_SET_SIZE) |
                            R_(FD_ALLOCATE),
                        0, 0, &fd),
       "path_open(file, CREAT)");
    TRUE(fd > 2, "file descriptor range check: got %u", fd);
    OK(__wasi_fd_filestat_get(fd, &st), "fd_filestat_get(file)");
    EQ(st.size, 0, "size of the new file");
    OK(__wasi_fd_filestat_set_size(fd, 100), "fd_filestat_set_size(file, 100)");
    OK(__wasi_fd_filestat_get(fd, &st), "fd_filestat_get(file) 2");
    EQ(st.size, 100, "size after fd_filestat_set_size(100)");
    OK(__wasi_fd_advise(fd, 10, 50, __WASI_ADVICE_NORMAL), "fd_advise(file, 10, 50, NORMAL)");
    OK(__wasi_fd_filestat_get(fd, &st), "fd_filestat_get(file) 3");
    EQ(st.size, 100, "size after fd_advise");
    int e = __wasi_fd_allocate(fd, 100, 100);
    if (e == 0) {
        OK(__wasi_fd_filestat_get(fd, &st), "fd_filestat_get(file) 4");
        EQ(st.size, 200, "size after fd_allocate(100, 100)");
    } else {
        ERR(e, "fd_allocate(file, 100, 100)", E_(SUCCESS), E_(NOTSUP));
    }
    OK(__wasi_fd_close(fd), "fd_close(file)");
    OK(__wasi_path_unlink_file(c->dir, name), "path_unlink_file(file)");
    return 0;
}

static int supports_rights(__wasi_fd_t fd, int *supported) {
    __wasi_fdstat_t st;
    OK(__wasi_fd_fdstat_get(fd, &st), "supports_rights: fd_fdstat_get");
    *supported = __wasi_fd_fdstat_set_rights(fd, st.fs_rights_base, st.fs_rights_inheriting) != E_(NOTSUP);
    return 0;
}

static int ck_fd_fdstat_set_rights(ctx_t *c) {
    int supported;
    RUN(supports_rights(c->dir, &supported));
    if (!supported) return 0; /* skipped by the suite (wasmtime: NOTSUP) */
    const char *name = "file.cleanup";
    __wasi_fd_t fd;
    __wasi_size_t n;
    __wasi_filesize_t pos;
    __wasi_fdstat_t st;
    OK(__wasi_path_open(c->dir, 0, name, __WASI_OFLAGS_CREAT, R_(FD_READ) | R_(FD_WRITE) | R_(FD_SEEK) | R_(FD_TELL),
                        0, 0, &fd),
       "path_open(file, CREAT)");
    uint8_t contents[4] = {0, 1, 2, 3}, back[4] = {0};
    OK(write1(fd, contents, 4, &n), "fd_write(file)");
    OK(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos), "fd_seek(file, 0, SET)");
    OK(read1(fd, back, 4, &n), "fd_read(file)");
    EQ(n, 4, "bytes read back");
    TRUE(memcmp(back, contents, 4) == 0, "read back bytes differ from written ones");
    OK(__wasi_fd_fdstat_get(fd, &st), "fd_fdstat_get(file)");
    __wasi_rights_t drop = R_(FD_READ) | R_(FD_WRITE);
    OK(__wasi_fd_fdstat_set_rights(fd, st.fs_rights_base & ~drop, st.fs_rights_inheriting),
       "fd_fdstat_set_rights(file, drop FD_READ|FD_WRITE)");
    OK(__wasi_fd_fdstat_get(fd, &st), "fd_fdstat_get(file) after dropping rights");
    EQX(st.fs_rights_base & drop, 0, "base rights & (FD_READ|FD_WRITE) after dropping them");
    TRUE(st.fs_rights_base & R_(FD_SEEK), "base rights should still have FD_SEEK (got 0x%" PRIx64 ")",
         st.fs_rights_base);
    ERR(read1(fd, back, 4, &n), "fd_read without FD_READ", E_(BADF), E_(NOTCAPABLE));
    ERR(write1(fd, contents, 4, &n), "fd_write without FD_WRITE", E_(BADF), E_(NOTCAPABLE));
    __wasi_rights_t more = R_(FD_READ) | R_(FD_WRITE) | R_(FD_SEEK) | R_(FD_TELL);
    OK(__wasi_fd_fdstat_get(fd, &st), "fd_fdstat_get(file) 3");
    ERR(__wasi_fd_fdstat_set_rights(fd, st.fs_rights_base | more, st.fs_rights_inheriting | more),
        "fd_fdstat_set_rights(re-grant rights)", E_(NOTCAPABLE));
    OK(__wasi_fd_close(fd), "fd_close(file)");
    OK(__wasi_path_unlink_file(c->dir, name), "path_unlink_file(file)");
    return 0;
}

static int ck_fd_filestat_set(ctx_t *c) {
    const char *name = "fd_filestat_set_file.cleanup";
    __wasi_fd_t fd;
    __wasi_filestat_t st;
    OK(__wasi_path_open(c->dir, 0, name, __WASI_OFLAGS_CREAT,
                        R_(FD_READ) | R_(FD_WRITE) | R_(FD_FILESTAT_GET) | R_(FD_FILESTAT_SET_SIZE) |
                            R_(FD_FILESTAT_SET_TIMES),
                        0, 0, &fd),
       "path_open(file, CREAT)");
    TRUE(fd > 2, "file descriptor range check: got %u", fd);
    OK(__wasi_fd_filestat_get(fd, &st), "fd_filestat_get(file)");
    EQ(st.size, 0, "size of the new file");
    OK(__wasi_fd_filestat_set_size(fd, 100), "fd_filestat_set_size(file, 100)");
    OK(__wasi_fd_filestat_get(fd, &st), "fd_filestat_get(file) 2");
    EQ(st.size, 100, "size after fd_filestat_set_size(100)");
    __wasi_timestamp_t old_atim = st.atim, new_mtim = st.mtim - 100;
    OK(__wasi_fd_filestat_set_times(fd, new_mtim, new_mtim, __WASI_FSTFLAGS_MTIM),
       "fd_filestat_set_times(file, mtim - 100 ns, MTIM)");
    OK(__wasi_fd_filestat_get(fd, &st), "fd_filestat_get(file) 3");
    EQ(st.size, 100, "size after fd_filestat_set_times");
    EQ(st.mtim, new_mtim, "mtim after fd_filestat_set_times(MTIM) (ns-exact)");
    EQ(st.atim, old_atim, "atim after fd_filestat_set_times(MTIM only) (must be unchanged)");
    OK(__wasi_fd_close(fd), "fd_close(file)");
    OK(__wasi_path_unlink_file(c->dir, name), "path_unlink_file(file)");
    return 0;
}

static int ck_fd_flags_set(ctx_t *c) {
    const char *name = "fd_flags_set_file.cleanup";
    __wasi_fd_t fd;
    __wasi_size_t n;
    __wasi_filesize_t pos;
    static uint8_t data[100], buf[100];
    OK(__wasi_path_open(c->dir, 0, name, __WASI_OFLAGS_CREAT,
                        R_(FD_READ) | R_(FD_WRITE) | R_(FD_SEEK) | R_(FD_TELL) | R_(FD_FDSTAT_SET_FLAGS), 0,
                        __WASI_FDFLAGS_APPEND, &fd),
       "path_open(file, CREAT, fdflags APPEND)");
    memset(data, 0, 100);
    OK(write1(fd, data, 100, &n), "fd_write(100 zeros) in append mode");
    EQ(n, 100, "bytes written (zeros)");
    OK(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos), "fd_seek(0, SET)");
    memset(buf, 0xAA, 100);
    OK(read1(fd, buf, 100, &n), "fd_read(100) at 0");
    EQ(n, 100, "bytes read at 0");
    TRUE(memcmp(buf, data, 100) == 0, "bytes read at 0 are not the 100 zeros written");
    memset(data, 1, 100);
    OK(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos), "fd_seek(0, SET) 2");
    OK(write1(fd, data, 100, &n), "fd_write(100 ones) in append mode after seek(0)");
    EQ(n, 100, "bytes written (ones)");
    OK(__wasi_fd_seek(fd, 100, __WASI_WHENCE_SET, &pos), "fd_seek(100, SET)");
    memset(buf, 0xAA, 100);
    OK(read1(fd, buf, 100, &n), "fd_read(100) at 100");
    EQ(n, 100, "bytes read at 100");
    TRUE(memcmp(buf, data, 100) == 0,
         "bytes at 100..200 are not the ones written in append mode (append did not write at the end?)");
    OK(__wasi_fd_fdstat_set_flags(fd, 0), "fd_fdstat_set_flags(file, 0)");
    OK(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos), "fd_seek(0, SET) 3");
    memset(data, 2, 100);
    OK(write1(fd, data, 100, &n), "fd_write(100 twos) after clearing APPEND");
    EQ(n, 100, "bytes written (twos)");
    OK(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos), "fd_seek(0, SET) 4");
    memset(buf, 0xAA, 100);
    OK(read1(fd, buf, 100, &n), "fd_read(100) at 0 after overwrite");
    EQ(n, 100, "bytes read at 0 after overwrite");
    TRUE(memcmp(buf, data, 100) == 0, "bytes at 0..100 are not the twos written after clearing APPEND");
    OK(__wasi_fd_close(fd), "fd_close(file)");
    __wasi_filestat_t st;
    OK(__wasi_path_filestat_get(c->dir, 0, name, &st), "path_filestat_get(file)");
    EQ(st.size, 200, "final file size");
    OK(__wasi_path_unlink_file(c->dir, name), "path_unlink_file(file)");
    return 0;
}

/* fd_readdir with a 256-byte buffer, parsed as the suite's ReadDir iterator does. */
typedef struct {
    __wasi_dirent_t d;
    char name[64];
} rd_entry;

static int exec_readdir(__wasi_fd_t fd, __wasi_dircookie_t cookie, rd_entry *out, int *count, int *eof) {
    static uint8_t buf[256];
    __wasi_size_t used = 0;
    char what[96];
    snprintf(what, sizeof what, "fd_readdir(dir, 256-byte buffer, cookie %" PRIu64 ")", cookie);
    OK(__wasi_fd_readdir(fd, buf, sizeof buf, cookie, &used), what);
    TRUE(used <= sizeof buf, "fd_readdir returned %u > buffer length 256", (unsigned)used);
    int k = 0;
    size_t at = 0;
    while (used - at >= sizeof(__wasi_dirent_t)) {
        __wasi_dirent_t d;
        memcpy(&d, buf + at, sizeof d);
        if (used - at < sizeof d + d.d_namlen) break;
        TRUE(d.d_namlen < sizeof out[0].name, "fd_readdir: entry name too long (%u)", d.d_namlen);
        TRUE(k < 16, "fd_readdir: more than 16 entries in 256 bytes");
        out[k].d = d;
        memcpy(out[k].name, buf + at + sizeof d, d.d_namlen);
        out[k].name[d.d_namlen] = 0;
        at += sizeof d + d.d_namlen;
        k++;
    }
    *count = k;
    *eof = used < sizeof buf;
    return 0;
}

static int cmp_entry(const void *a, const void *b) {
    return strcmp(((const rd_entry *)a)->name, ((const rd_entry *)b)->name);
}

static int ck_fd_readdir(ctx_t *c) {
    rd_entry e[16];
    int count, eof;
    __wasi_filestat_t dst, fst;
    __wasi_fd_t fd;
    OK(__wasi_fd_filestat_get(c->dir, &dst), "fd_filestat_get(dir)");

    RUN(exec_readdir(c->dir, 0, e, &count, &eof));
    TRUE(eof, "fd_readdir of an empty directory: expected the whole listing in one 256-byte call (EOF)");
    qsort(e, count, sizeof *e, cmp_entry);
    EQ(count, 2, "entries in an empty directory");
    TRUE(strcmp(e[0].name, ".") == 0, "first entry (sorted): expected \".\", got \"%s\"", e[0].name);
    EQ(e[0].d.d_type, __WASI_FILETYPE_DIRECTORY, "\".\" d_type");
    EQ(e[0].d.d_ino, dst.ino, "\".\" d_ino vs fd_filestat_get(dir).ino");
    EQ(e[0].d.d_namlen, 1, "\".\" d_namlen");
    TRUE(strcmp(e[1].name, "..") == 0, "second entry (sorted): expected \"..\", got \"%s\"", e[1].name);
    EQ(e[1].d.d_type, __WASI_FILETYPE_DIRECTORY, "\"..\" d_type");

    OK(__wasi_path_open(c->dir, 0, "file", __WASI_OFLAGS_CREAT,
                        R_(FD_READ) | R_(FD_WRITE) | R_(FD_READDIR) | R_(FD_FILESTAT_GET), 0, 0, &fd),
       "path_open(\"file\", CREAT)");
    TRUE(fd > 2, "file descriptor range check: got %u", fd);
    OK(__wasi_fd_filestat_get(fd, &fst), "fd_filestat_get(file)");
    OK(__wasi_fd_close(fd), "fd_close(file)");

    RUN(exec_readdir(c->dir, 0, e, &count, &eof));
    TRUE(eof, "fd_readdir with one file: expected EOF in one 256-byte call");
    EQ(count, 3, "entries after creating \"file\"");
    __wasi_dircookie_t last_cookie = e[1].d.d_next;
    char last_name[64];
    strcpy(last_name, e[2].name);
    qsort(e, count, sizeof *e, cmp_entry);
    TRUE(strcmp(e[0].name, ".") == 0, "first entry (sorted): expected \".\", got \"%s\"", e[0].name);
    TRUE(strcmp(e[1].name, "..") == 0, "second entry (sorted): expected \"..\", got \"%s\"", e[1].name);
    TRUE(strcmp(e[2].name, "file") == 0, "third entry (sorted): expected \"file\", got \"%s\"", e[2].name);
    EQ(e[2].d.d_type, __WASI_FILETYPE_REGULAR_FILE, "\"file\" d_type");
    EQ(e[2].d.d_ino, fst.ino, "\"file\" d_ino vs fd_filestat_get(file).ino");

    RUN(exec_readdir(c->dir, last_cookie, e, &count, &eof));
    TRUE(eof, "fd_readdir from the 2nd entry's d_next: expected EOF");
    EQ(count, 1, "entries after the 2nd entry's d_next cookie");
    TRUE(strcmp(e[0].name, last_name) == 0, "entry after the cookie: expected \"%s\", got \"%s\"", last_name,
         e[0].name);
    OK(__wasi_path_unlink_file(c->dir, "file"), "path_unlink_file(file)");

    /* lots of files, paged with the last entry's d_next */
    char name[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof name, "file.%d", i);
        OK(__wasi_path_open(c->dir, 0, name, __WASI_OFLAGS_CREAT,
                            R_(FD_READ) | R_(FD_WRITE) | R_(FD_READDIR) | R_(FD_FILESTAT_GET), 0, 0, &fd),
           "path_open(file.N, CREAT)");
        TRUE(fd > 2, "file descriptor range check: got %u", fd);
        OK(__wasi_fd_close(fd), "fd_close(file.N)");
    }
    int total = 0;
    __wasi_dircookie_t cookie = 0;
    for (int round = 0; round < 10000; round++) {
        RUN(exec_readdir(c->dir, cookie, e, &count, &eof));
        total += count;
        if (eof) break;
        TRUE(count > 0, "fd_readdir returned a full buffer without a complete entry (cookie %" PRIu64 ")", cookie);
        cookie = e[count - 1].d.d_next;
    }
    EQ(total, 1002, "entries seen paging through 1000 files (plus . and ..)");
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof name, "file.%d", i);
        OK(__wasi_path_unlink_file(c->dir, name), "path_unlink_file(file.N)");
    }
    return 0;
}

static int ck_file_allocate(ctx_t *c) {
    __wasi_fd_t fd;
    __wasi_filestat_t st;
    OK(__wasi_path_open(c->dir, 0, "file", __WASI_OFLAGS_CREAT,
                        R_(FD_READ) | R_(FD_WRITE) | R_(FD_ALLOCATE) | R_(FD_FILESTAT_GET), 0, 0, &fd),
       "path_open(file, CREAT)");
    TRUE(fd > 2, "file descriptor range check: got %u", fd);
    OK(__wasi_fd_filestat_get(fd, &st), "fd_filestat_get(file)");
    EQ(st.size, 0, "size of the new file");
    int e = __wasi_fd_allocate(fd, 0, 100);
    if (e == 0) {
        OK(__wasi_fd_filestat_get(fd, &st), "fd_filestat_get(file) 2");
        EQ(st.size, 100, "size after fd_allocate(0, 100)");
        OK(__wasi_fd_allocate(fd, 10, 10), "fd_allocate(10, 10)");
        OK(__wasi_fd_filestat_get(fd, &st), "fd_filestat_get(file) 3");
        EQ(st.size, 100, "size after fd_allocate(10, 10)");
        OK(__wasi_fd_allocate(fd, 90, 20), "fd_allocate(90, 20)");
        OK(__wasi_fd_filestat_get(fd, &st), "fd_filestat_get(file) 4");
        EQ(st.size, 110, "size after fd_allocate(90, 20)");
    } else {
        ERR(e, "fd_allocate(file, 0, 100)", E_(SUCCESS), E_(NOTSUP));
    }
    OK(__wasi_fd_close(fd), "fd_close(file)");
    OK(__wasi_path_unlink_file(c->dir, "file"), "path_unlink_file(file)");
    return 0;
}

static int ck_file_pread_pwrite(ctx_t *c) {
    __wasi_fd_t fd;
    __wasi_size_t n;
    OK(__wasi_path_open(c->dir, 0, "file", __WASI_OFLAGS_CREAT, R_(FD_READ) | R_(FD_SEEK) | R_(FD_WRITE), 0, 0,
                        &fd),
       "path_open(file, CREAT)");
    TRUE(fd > 2, "file descriptor range check: got %u", fd);
    const uint8_t contents[4] = {0, 1, 2, 3};
    OK(pwrite1(fd, contents, 4, 0, &n), "fd_pwrite(4 bytes @0)");
    EQ(n, 4, "fd_pwrite(4 bytes @0) nwritten");
    uint8_t back[4] = {0};
    OK(pread1(fd, back, 4, 0, &n), "fd_pread(4 bytes @0)");
    EQ(n, 4, "fd_pread(4 bytes @0) nread");
    TRUE(memcmp(back, contents, 4) == 0, "fd_pread @0: expected 00 01 02 03, got %02x %02x %02x %02x", back[0],
         back[1], back[2], back[3]);

    /* multiple iovecs; short transfers are tolerated */
    size_t offset = 0;
    for (int round = 0; round < 16 && offset < 4; round++) {
        __wasi_ciovec_t iovs[2];
        size_t count = 0, remaining = 4 - offset;
        if (remaining > 2) {
            iovs[count++] = (__wasi_ciovec_t){contents + offset, 2};
            remaining -= 2;
        }
        iovs[count++] = (__wasi_ciovec_t){contents + 4 - remaining, remaining};
        OK(__wasi_fd_pwrite(fd, iovs, count, offset, &n), "fd_pwrite(2 iovecs)");
        TRUE(n > 0, "fd_pwrite(2 iovecs) @%zu wrote 0 bytes", offset);
        offset += n;
    }
    EQ(offset, 4, "bytes written through multiple iovecs");
    uint8_t all[4] = {0};
    offset = 0;
    for (int round = 0; round < 16; round++) {
        uint8_t buffer[4] = {0};
        __wasi_iovec_t iovs[2] = {{buffer, 2}, {buffer + 2, 2}};
        OK(__wasi_fd_pread(fd, iovs, 2, offset, &n), "fd_pread(2 iovecs)");
        if (n == 0) break;
        TRUE(offset + n <= 4, "fd_pread(2 iovecs) @%zu returned %u bytes past the 4-byte file", offset, (unsigned)n);
        memcpy(all + offset, buffer, n);
        offset += n;
    }
    EQ(offset, 4, "bytes read through multiple iovecs");
    TRUE(memcmp(all, contents, 4) == 0, "multi-iovec read: expected 00 01 02 03, got %02x %02x %02x %02x", all[0],
         all[1], all[2], all[3]);

    uint8_t four[4] = {0};
    OK(pread1(fd, four, 4, 2, &n), "fd_pread(4 bytes @2)");
    EQ(n, 2, "fd_pread(4 bytes @2) nread");
    TRUE(four[0] == 2 && four[1] == 3 && four[2] == 0 && four[3] == 0,
         "fd_pread @2: expected 02 03 00 00, got %02x %02x %02x %02x", four[0], four[1], four[2], four[3]);
    const uint8_t patch[2] = {1, 0};
    OK(pwrite1(fd, patch, 2, 2, &n), "fd_pwrite(2 bytes @2)");
    EQ(n, 2, "fd_pwrite(2 bytes @2) nwritten");
    memset(four, 0xAA, 4);
    OK(pread1(fd, four, 4, 0, &n), "fd_pread(4 bytes @0) 2");
    EQ(n, 4, "fd_pread(4 bytes @0) 2 nread");
    TRUE(four[0] == 0 && four[1] == 1 && four[2] == 1 && four[3] == 0,
         "final contents: expected 00 01 01 00, got %02x %02x %02x %02x", four[0], four[1], four[2], four[3]);
    OK(__wasi_fd_close(fd), "fd_close(file)");
    OK(__wasi_path_unlink_file(c->dir, "file"), "path_unlink_file(file)");
    return 0;
}

static int ck_file_seek_tell(ctx_t *c) {
    __wasi_fd_t fd;
    __wasi_size_t n;
    __wasi_filesize_t pos;
    static uint8_t data[100];
    OK(__wasi_path_open(c->dir, 0, "file", __WASI_OFLAGS_CREAT,
                        R_(FD_READ) | R_(FD_WRITE) | R_(FD_SEEK) | R_(FD_TELL), 0, 0, &fd),
       "path_open(file, CREAT)");
    TRUE(fd > 2, "file descriptor range check: got %u", fd);
    OK(__wasi_fd_tell(fd, &pos), "fd_tell(new file)");
    EQ(pos, 0, "initial offset");
    memset(data, 0, sizeof data);
    OK(write1(fd, data, 100, &n), "fd_write(100)");
    EQ(n, 100, "bytes written");
    OK(__wasi_fd_tell(fd, &pos), "fd_tell after writing");
    EQ(pos, 100, "offset after writing 100 bytes");
    OK(__wasi_fd_seek(fd, -50, __WASI_WHENCE_CUR, &pos), "fd_seek(-50, CUR)");
    EQ(pos, 50, "offset after fd_seek(-50, CUR)");
    OK(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos), "fd_seek(0, SET)");
    EQ(pos, 0, "offset after fd_seek(0, SET)");
    OK(__wasi_fd_seek(fd, 1000, __WASI_WHENCE_CUR, &pos), "fd_seek(1000, CUR) (beyond the end)");
    ERR(__wasi_fd_seek(fd, -2000, __WASI_WHENCE_CUR, &pos), "fd_seek(-2000, CUR) (before byte 0)", E_(INVAL));
    OK(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos), "fd_seek(0, SET) 2");
    OK(read1(fd, data, 100, &n), "fd_read(100)");
    EQ(n, 100, "bytes read");
    OK(__wasi_fd_tell(fd, &pos), "fd_tell after reading");
    EQ(pos, 100, "offset after reading 100 bytes");
    OK(__wasi_fd_close(fd), "fd_close(file)");
    OK(__wasi_path_unlink_file(c->dir, "file"), "path_unlink_file(file)");
    return 0;
}

static int ck_file_truncation(ctx_t *c) {
    const char *name = "test.txt";
    const char *content = "this content will be truncated!";
    __wasi_fd_t fd;
    __wasi_size_t n;
    OK(__wasi_path_open(c->dir, 0, name, __WASI_OFLAGS_CREAT, R_(FD_WRITE), 0, 0, &fd),
       "path_open(file, CREAT, FD_WRITE)");
    OK(write1(fd, content, strlen(content), &n), "fd_write(content)");
    EQ(n, strlen(content), "bytes written");
    OK(__wasi_fd_close(fd), "fd_close(file)");
    OK(__wasi_path_open(c->dir, 0, name, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, R_(FD_WRITE) | R_(FD_READ), 0,
                        0, &fd),
       "path_open(file, CREAT|TRUNC, FD_READ|FD_WRITE)");
    static uint8_t buf[100];
    OK(read1(fd, buf, 100, &n), "fd_read(truncated file)");
    EQ(n, 0, "bytes read from the truncated file");
    OK(__wasi_fd_close(fd), "fd_close(file) 2");
    OK(__wasi_path_unlink_file(c->dir, name), "path_unlink_file(file)");
    return 0;
}

static int ck_file_unbuffered_write(ctx_t *c) {
    __wasi_fd_t fr, fw;
    __wasi_size_t n;
    OK(__wasi_path_open(c->dir, 0, "file", __WASI_OFLAGS_CREAT, R_(FD_READ), 0, 0, &fr),
       "path_open(file, CREAT, FD_READ)");
    TRUE(fr > 2, "file descriptor range check: got %u", fr);
    OK(__wasi_path_open(c->dir, 0, "file", 0, R_(FD_WRITE), 0, 0, &fw), "path_open(file, FD_WRITE)");
    TRUE(fw > 2, "file descriptor range check: got %u", fw);
    uint8_t one = 1, back = 0;
    OK(write1(fw, &one, 1, &n), "fd_write(1 byte) via the write fd");
    EQ(n, 1, "bytes written");
    OK(read1(fr, &back, 1, &n), "fd_read(1 byte) via the read fd");
    EQ(n, 1, "bytes read via the other fd");
    EQ(back, 1, "byte read via the other fd");
    OK(__wasi_fd_close(fw), "fd_close(write fd)");
    OK(__wasi_fd_close(fr), "fd_close(read fd)");
    OK(__wasi_path_unlink_file(c->dir, "file"), "path_unlink_file(file)");
    return 0;
}

static int ck_fstflags_validate(ctx_t *c) {
    const char *name = "fstflags_validate.cleanup";
    __wasi_fd_t fd;
    OK(__wasi_path_open(c->dir, 0, name, __WASI_OFLAGS_CREAT, R_(FD_READ) | R_(FD_FILESTAT_SET_TIMES), 0, 0, &fd),
       "path_open(file, CREAT)");
    ERR(__wasi_fd_filestat_set_times(fd, 100, 200, __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW),
        "fd_filestat_set_times(MTIM|MTIM_NOW)", E_(INVAL));
    ERR(__wasi_fd_filestat_set_times(fd, 100, 200, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW),
        "fd_filestat_set_times(ATIM|ATIM_NOW)", E_(INVAL));
    OK(__wasi_fd_close(fd), "fd_close(file)");
    OK(__wasi_path_unlink_file(c->dir, name), "cleanup: path_unlink_file(file)");
    return 0;
}

static int ck_interesting_paths(ctx_t *c) {
    __wasi_fd_t fd;
    OK(__wasi_path_create_directory(c->dir, "dir"), "path_create_directory(dir)");
    OK(__wasi_path_create_directory(c->dir, "dir/nested"), "path_create_directory(dir/nested)");
    RUN(create_file(c->dir, "dir/nested/file"));
    ERR(__wasi_path_open(c->dir, 0, "/dir/nested/file", 0, 0, 0, 0, &fd), "path_open(\"/dir/nested/file\")",
        E_(PERM), E_(NOTCAPABLE));
    OK(__wasi_path_open(c->dir, 0, "dir/.//nested/../../dir/nested/../nested///./file", 0, 0, 0, 0, &fd),
       "path_open(\"dir/.//nested/../../dir/nested/../nested///./file\")");
    TRUE(fd > 2, "file descriptor range check: got %u", fd);
    OK(__wasi_fd_close(fd), "fd_close");
    static const char with_nul[] = "dir/nested/file\0";
    ERR(raw_path_open(c->dir, 0, (int32_t)(intptr_t)with_nul, (int32_t)(sizeof with_nul - 1), 0, 0, 0, 0,
                      (int32_t)(intptr_t)&fd),
        "path_open(\"dir/nested/file\\0\") (trailing NUL)", E_(INVAL), E_(ILSEQ), E_(NOENT));
    ERR(__wasi_path_open(c->dir, 0, "dir/nested/file/", 0, 0, 0, 0, &fd), "path_open(\"dir/nested/file/\")",
        E_(NOTDIR), E_(NOENT));
    ERR(__wasi_path_open(c->dir, 0, "dir/nested/file///", 0, 0, 0, 0, &fd), "path_open(\"dir/nested/file///\")",
        E_(NOTDIR), E_(NOENT));
    OK(__wasi_path_open(c->dir, 0, "dir/nested/", 0, 0, 0, 0, &fd), "path_open(\"dir/nested/\")");
    TRUE(fd > 2, "file descriptor range check: got %u", fd);
    OK(__wasi_fd_close(fd), "fd_close");
    OK(__wasi_path_open(c->dir, 0, "dir/nested///", 0, 0, 0, 0, &fd), "path_open(\"dir/nested///\")");
    TRUE(fd > 2, "file descriptor range check: got %u", fd);
    OK(__wasi_fd_close(fd), "fd_close");
    char bad[512];
    snprintf(bad, sizeof bad, "dir/nested/../../../%s/dir/nested/file", c->scratch);
    char what[600];
    snprintf(what, sizeof what, "path_open(\"%s\") (too many \"..\")", bad);
    ERR(__wasi_path_open(c->dir, 0, bad, 0, 0, 0, 0, &fd), what, E_(PERM), E_(NOTCAPABLE));
    OK(__wasi_path_unlink_file(c->dir, "dir/nested/file"), "path_unlink_file(dir/nested/file)");
    OK(__wasi_path_remove_directory(c->dir, "dir/nested"), "path_remove_directory(dir/nested)");
    OK(__wasi_path_remove_directory(c->dir, "dir"), "path_remove_directory(dir)");
    return 0;
}

static int ck_isatty(ctx_t *c) {
    __wasi_fd_t fd;
    OK(__wasi_path_open(c->dir, 0, "file", __WASI_OFLAGS_CREAT, 0, 0, 0, &fd), "path_open(file, CREAT)");
    TRUE(fd > 2, "file descriptor range check: got %u", fd);
    int tty = isatty((int)fd);
    TRUE(tty == 0, "isatty(regular file): expected 0, got %d", tty);
    OK(__wasi_fd_close(fd), "fd_close(file)");
    OK(__wasi_path_unlink_file(c->dir, "file"), "path_unlink_file(file)");
    return 0;
}

static int ck_nofollow_errors(ctx_t *c) {
    __wasi_fd_t fd;
    OK(__wasi_path_create_directory(c->dir, "target"), "path_create_directory(target)");
    OK(__wasi_path_symlink("target", c->dir, "symlink"), "path_symlink(target -> symlink)");
    ERR(__wasi_path_open(c->dir, 0, "symlink", __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &fd),
        "path_open(symlink to dir, DIRECTORY, no follow)", E_(LOOP), E_(NOTDIR));
    ERR(__wasi_path_open(c->dir, 0, "symlink", 0, 0, 0, 0, &fd), "path_open(symlink to dir, no follow)", E_(LOOP),
        E_(ACCES));
    OK(__wasi_path_open(c->dir, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "symlink", __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &fd),
       "path_open(symlink to dir, DIRECTORY, follow)");
    TRUE(fd > 2, "file descriptor range check: got %u", fd);
    OK(__wasi_fd_close(fd), "fd_close");
    OK(__wasi_path_unlink_file(c->dir, "symlink"), "path_unlink_file(symlink)");
    OK(__wasi_path_remove_directory(c->dir, "target"), "path_remove_directory(target)");
    OK(__wasi_path_open(c->dir, 0, "target", __WASI_OFLAGS_CREAT, 0, 0, 0, &fd), "path_open(target, CREAT)");
    OK(__wasi_fd_close(fd), "fd_close");
    OK(__wasi_path_symlink("target", c->dir, "symlink"), "path_symlink(target -> symlink) 2");
    ERR(__wasi_path_open(c->dir, 0, "symlink", __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &fd),
        "path_open(symlink to file, DIRECTORY, no follow)", E_(LOOP), E_(NOTDIR));
    ERR(__wasi_path_open(c->dir, 0, "symlink", 0, 0, 0, 0, &fd), "path_open(symlink to file, no follow)", E_(LOOP));
    ERR(__wasi_path_open(c->dir, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "symlink", __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &fd),
        "path_open(symlink to file, DIRECTORY, follow)", E_(NOTDIR));
    OK(__wasi_path_unlink_file(c->dir, "target"), "path_unlink_file(target)");
    OK(__wasi_path_unlink_file(c->dir, "symlink"), "path_unlink_file(symlink)");
    return 0;
}

static int ck_overwrite_preopen(ctx_t *c) {
    __wasi_fd_t pre = 3, dir = c->dir;
    TRUE(dir > pre, "dir_fd number: expected the scratch dir fd (%u) > 3", dir);
    __wasi_filestat_t before, after;
    __wasi_fdstat_t st;
    OK(__wasi_fd_filestat_get(dir, &before), "fd_filestat_get(dir)");
    OK(__wasi_fd_renumber(dir, pre), "fd_renumber(dir, 3) (over the preopen)");
    c->dir = (__wasi_fd_t)-1;
    OK(__wasi_fd_filestat_get(pre, &after), "fd_filestat_get(3) after the renumber");
    EQ(after.dev, before.dev, "fd 3 dev after the renumber vs the old dir fd");
    EQ(after.ino, before.ino, "fd 3 ino after the renumber vs the old dir fd");
    ERR(__wasi_fd_fdstat_get(dir, &st), "fd_fdstat_get(old dir fd) after the renumber", E_(BADF));
    OK(__wasi_fd_close(pre), "fd_close(3)");
    return 0;
}

static int filetype_at(__wasi_fd_t dir, int follow, const char *path, int expected) {
    __wasi_filestat_t st;
    char what[160];
    snprintf(what, sizeof what, "path_filestat_get(\"%s\", %s)", path, follow ? "follow" : "no follow");
    OK(__wasi_path_filestat_get(dir, follow ? __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW : 0, path, &st), what);
    snprintf(what, sizeof what, "path_filestat_get(\"%s\", %s).filetype", path, follow ? "follow" : "no follow");
    EQ(st.filetype, expected, what);
    return 0;
}

static int ck_path_exists(ctx_t *c) {
    OK(__wasi_path_create_directory(c->dir, "subdir"), "path_create_directory(subdir)");
    RUN(filetype_at(c->dir, 0, "subdir", __WASI_FILETYPE_DIRECTORY));
    RUN(filetype_at(c->dir, 1, "subdir", __WASI_FILETYPE_DIRECTORY));
    RUN(create_file(c->dir, "subdir/file"));
    RUN(filetype_at(c->dir, 0, "subdir/file", __WASI_FILETYPE_REGULAR_FILE));
    RUN(filetype_at(c->dir, 1, "subdir/file", __WASI_FILETYPE_REGULAR_FILE));
    OK(__wasi_path_symlink("subdir/file", c->dir, "link1"), "path_symlink(subdir/file -> link1)");
    RUN(filetype_at(c->dir, 0, "link1", __WASI_FILETYPE_SYMBOLIC_LINK));
    RUN(filetype_at(c->dir, 1, "link1", __WASI_FILETYPE_REGULAR_FILE));
    OK(__wasi_path_symlink("subdir", c->dir, "link2"), "path_symlink(subdir -> link2)");
    RUN(filetype_at(c->dir, 0, "link2", __WASI_FILETYPE_SYMBOLIC_LINK));
    RUN(filetype_at(c->dir, 1, "link2", __WASI_FILETYPE_DIRECTORY));
    OK(__wasi_path_unlink_file(c->dir, "link1"), "path_unlink_file(link1)");
    OK(__wasi_path_unlink_file(c->dir, "link2"), "path_unlink_file(link2)");
    OK(__wasi_path_unlink_file(c->dir, "subdir/file"), "path_unlink_file(subdir/file)");
    OK(__wasi_path_remove_directory(c->dir, "subdir"), "path_remove_directory(subdir)");
    return 0;
}

static int ck_path_filestat(ctx_t *c) {
    __wasi_fdstat_t fst;
    __wasi_filestat_t st, st2;
    __wasi_fd_t fd;
    OK(__wasi_fd_fdstat_get(c->dir, &fst), "fd_fdstat_get(dir)");
    TRUE(fst.fs_rights_base & R_(PATH_FILESTAT_GET),
         "the scratch directory should have PATH_FILESTAT_GET in its base rights (got 0x%" PRIx64 ")",
         fst.fs_rights_base);
    __wasi_rights_t rights = R_(FD_READ) | R_(FD_WRITE) | R_(PATH_FILESTAT_GET);
    __wasi_fdflags_t flags = __WASI_FDFLAGS_APPEND | __WASI_FDFLAGS_SYNC;
    int e = __wasi_path_open(c->dir, 0, "file", __WASI_OFLAGS_CREAT, rights, 0, flags, &fd);
    if (e == E_(NOTSUP)) {
        flags = __WASI_FDFLAGS_APPEND;
        e = __wasi_path_open(c->dir, 0, "file", __WASI_OFLAGS_CREAT, rights, 0, flags, &fd);
        OK(e, "path_open(file, CREAT, APPEND) after NOTSUP for APPEND|SYNC");
    } else {
        ERR(e, "path_open(file, CREAT, APPEND|SYNC)", E_(SUCCESS), E_(NOTSUP));
    }
    TRUE(fd > 2, "file descriptor range check: got %u", fd);
    OK(__wasi_fd_fdstat_get(fd, &fst), "fd_fdstat_get(file)");
    EQX(fst.fs_flags & __WASI_FDFLAGS_APPEND, __WASI_FDFLAGS_APPEND, "fd_fdstat_get(file).fs_flags & APPEND");
    if (flags & __WASI_FDFLAGS_SYNC)
        EQX(fst.fs_flags & __WASI_FDFLAGS_SYNC, __WASI_FDFLAGS_SYNC, "fd_fdstat_get(file).fs_flags & SYNC");
    OK(__wasi_path_filestat_get(c->dir, 0, "file", &st), "path_filestat_get(file)");
    EQ(st.size, 0, "size of the new file");
    __wasi_timestamp_t new_mtim = st.mtim - 100;
    OK(__wasi_path_filestat_set_times(c->dir, 0, "file", 0, new_mtim, __WASI_FSTFLAGS_MTIM),
       "path_filestat_set_times(file, mtim - 100 ns, MTIM)");
    OK(__wasi_path_filestat_get(c->dir, 0, "file", &st2), "path_filestat_get(file) 2");
    EQ(st2.mtim, new_mtim, "mtim after path_filestat_set_times(MTIM) (ns-exact)");
    ERR(__wasi_path_filestat_set_times(c->dir, 0, "file", 0, new_mtim, __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW),
        "path_filestat_set_times(MTIM|MTIM_NOW)", E_(INVAL));
    OK(__wasi_path_filestat_get(c->dir, 0, "file", &st2), "path_filestat_get(file) 3");
    EQ(st2.mtim, new_mtim, "mtim after the refused MTIM|MTIM_NOW (must be unchanged)");
    ERR(__wasi_path_filestat_set_times(c->dir, 0, "file", 0, 0, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW),
        "path_filestat_set_times(ATIM|ATIM_NOW)", E_(INVAL));
    OK(__wasi_fd_close(fd), "fd_close(file)");
    OK(__wasi_path_unlink_file(c->dir, "file"), "path_unlink_file(file)");
    return 0;
}

static const __wasi_rights_t link_rights = R_(FD_READ) | R_(PATH_LINK_SOURCE) | R_(PATH_LINK_TARGET) |
                                           R_(FD_FILESTAT_GET) | R_(PATH_OPEN) | R_(PATH_UNLINK_FILE);

static int link_open(__wasi_fd_t dir, const char *name, __wasi_oflags_t oflags, __wasi_fd_t *fd) {
    char what[128];
    snprintf(what, sizeof what, "path_open(\"%s\"%s)", name,
             oflags == __WASI_OFLAGS_CREAT ? ", CREAT" : oflags == __WASI_OFLAGS_DIRECTORY ? ", DIRECTORY" : "");
    OK(__wasi_path_open(dir, 0, name, oflags, link_rights, link_rights, 0, fd), what);
    TRUE(*fd > 2, "file descriptor range check: got %u", *fd);
    return 0;
}

static int link_compare(__wasi_fd_t orig, __wasi_fd_t link) {
    __wasi_filestat_t a, b;
    OK(__wasi_fd_filestat_get(orig, &a), "fd_filestat_get(source)");
    OK(__wasi_fd_filestat_get(link, &b), "fd_filestat_get(link)");
    EQ(b.dev, a.dev, "link vs source: dev");
    EQ(b.ino, a.ino, "link vs source: ino");
    EQ(b.atim, a.atim, "link vs source: atim");
    EQ(b.ctim, a.ctim, "link vs source: ctim");
    EQ(b.mtim, a.mtim, "link vs source: mtim");
    EQ(b.size, a.size, "link vs source: size");
    EQ(b.nlink, a.nlink, "link vs source: nlink");
    EQ(b.filetype, a.filetype, "link vs source: filetype");
    __wasi_fdstat_t x, y;
    OK(__wasi_fd_fdstat_get(orig, &x), "fd_fdstat_get(source)");
    OK(__wasi_fd_fdstat_get(link, &y), "fd_fdstat_get(link)");
    EQ(y.fs_flags, x.fs_flags, "link vs source: fs_flags");
    EQ(y.fs_filetype, x.fs_filetype, "link vs source: fs_filetype");
    int supported;
    RUN(supports_rights(orig, &supported));
    if (supported) {
        EQX(y.fs_rights_base, x.fs_rights_base, "link vs source: fs_rights_base");
        EQX(y.fs_rights_inheriting, x.fs_rights_inheriting, "link vs source: fs_rights_inheriting");
    }
    return 0;
}

static int ck_path_link(ctx_t *c) {
    __wasi_fd_t file_fd, link_fd, sub_fd;
    __wasi_fd_t d = c->dir;
    RUN(link_open(d, "file", __WASI_OFLAGS_CREAT, &file_fd));
    OK(__wasi_path_link(d, 0, "file", d, "link"), "path_link(file -> link) in the same directory");
    RUN(link_open(d, "link", 0, &link_fd));
    RUN(link_compare(file_fd, link_fd));
    OK(__wasi_fd_close(link_fd), "fd_close(link)");
    OK(__wasi_path_unlink_file(d, "link"), "path_unlink_file(link)");

    OK(__wasi_path_create_directory(d, "subdir"), "path_create_directory(subdir)");
    RUN(link_open(d, "subdir", __WASI_OFLAGS_DIRECTORY, &sub_fd));
    OK(__wasi_path_link(d, 0, "file", sub_fd, "link"), "path_link(file -> subdir/link)");
    RUN(link_open(sub_fd, "link", 0, &link_fd));
    RUN(link_compare(file_fd, link_fd));
    OK(__wasi_fd_close(link_fd), "fd_close(link)");
    OK(__wasi_fd_close(file_fd), "fd_close(file)");
    OK(__wasi_path_unlink_file(sub_fd, "link"), "path_unlink_file(subdir/link)");
    OK(__wasi_fd_close(sub_fd), "fd_close(subdir)");
    OK(__wasi_path_remove_directory(d, "subdir"), "path_remove_directory(subdir)");

    RUN(create_file(d, "link"));
    ERR(__wasi_path_link(d, 0, "file", d, "link"), "path_link onto an existing file", E_(EXIST));
    OK(__wasi_path_unlink_file(d, "link"), "path_unlink_file(link)");
    ERR(__wasi_path_link(d, 0, "file", d, "file"), "path_link(file -> file) (onto itself)", E_(EXIST));
    OK(__wasi_path_create_directory(d, "link"), "path_create_directory(link)");
    ERR(__wasi_path_link(d, 0, "file", d, "link"), "path_link onto an existing directory", E_(EXIST));
    OK(__wasi_path_remove_directory(d, "link"), "path_remove_directory(link)");

    OK(__wasi_path_create_directory(d, "subdir"), "path_create_directory(subdir) 2");
    RUN(link_open(d, "subdir", __WASI_OFLAGS_DIRECTORY, &sub_fd));
    ERR(__wasi_path_link(d, 0, "subdir", d, "link"), "path_link of a directory", E_(PERM), E_(ACCES));
    OK(__wasi_fd_close(sub_fd), "fd_close(subdir)");
    OK(__wasi_path_remove_directory(d, "subdir"), "path_remove_directory(subdir) 2");

    ERR(__wasi_path_link(d, 0, "file", d, "link/"), "path_link(file -> \"link/\") (trailing slash)", E_(NOENT));

    if (__wasi_path_symlink("target", d, "symlink") == 0) {
        OK(__wasi_path_link(d, 0, "symlink", d, "link"), "path_link of a dangling symlink (not followed)");
        OK(__wasi_path_unlink_file(d, "symlink"), "path_unlink_file(symlink)");
        OK(__wasi_path_unlink_file(d, "link"), "path_unlink_file(link)");
        OK(__wasi_path_symlink("symlink", d, "symlink"), "path_symlink(symlink -> symlink) (a loop)");
        OK(__wasi_path_link(d, 0, "symlink", d, "link"), "path_link of a symlink loop");
        OK(__wasi_path_unlink_file(d, "symlink"), "path_unlink_file(symlink) 2");
        OK(__wasi_path_unlink_file(d, "link"), "path_unlink_file(link) 2");
        OK(__wasi_path_symlink("target", d, "symlink"), "path_symlink(target -> symlink) (dangling)");
        ERR(__wasi_path_link(d, 0, "file", d, "symlink"), "path_link onto a dangling symlink", E_(EXIST));
        OK(__wasi_path_unlink_file(d, "symlink"), "path_unlink_file(symlink) 3");
        OK(__wasi_path_symlink("target", d, "symlink"), "path_symlink(target -> symlink) (dangling) 2");
        ERR(__wasi_path_link(d, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "symlink", d, "link"),
            "path_link(SYMLINK_FOLLOW, dangling symlink -> link)", E_(INVAL), E_(NOENT));
        OK(__wasi_path_unlink_file(d, "symlink"), "path_unlink_file(symlink) 4");
    }
    OK(__wasi_path_unlink_file(d, "file"), "path_unlink_file(file)");
    return 0;
}

static int ck_path_open_create_existing(ctx_t *c) {
    __wasi_fd_t fd;
    RUN(create_file(c->dir, "file"));
    ERR(__wasi_path_open(c->dir, 0, "file", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, 0, 0, 0, &fd),
        "path_open(existing file, CREAT|EXCL)", E_(EXIST));
    OK(__wasi_path_unlink_file(c->dir, "file"), "path_unlink_file(file)");
    return 0;
}

static int ck_path_open_dirfd_not_dir(ctx_t *c) {
    __wasi_fd_t fd, fd2;
    OK(__wasi_path_open(c->dir, 0, "file", __WASI_OFLAGS_CREAT, 0, 0, 0, &fd), "path_open(file, CREAT)");
    ERR(__wasi_path_open(fd, 0, "foo", __WASI_OFLAGS_CREAT, 0, 0, 0, &fd2), "path_open with a file as dirfd",
        E_(NOTDIR), E_(NOTCAPABLE));
    OK(__wasi_fd_close(fd), "fd_close(file)");
    OK(__wasi_path_unlink_file(c->dir, "file"), "path_unlink_file(file)");
    return 0;
}

static int ck_path_open_missing(ctx_t *c) {
    __wasi_fd_t fd;
    ERR(__wasi_path_open(c->dir, 0, "file", 0, 0, 0, 0, &fd), "path_open(missing file, no CREAT)", E_(NOENT));
    return 0;
}

static int ck_path_open_nonblock(ctx_t *c) {
    __wasi_fd_t fd;
    OK(__wasi_path_open(c->root, 0, ".", 0, 0, 0, __WASI_FDFLAGS_NONBLOCK, &fd), "path_open(\".\", fdflags NONBLOCK)");
    OK(__wasi_fd_close(fd), "fd_close");
    return 0;
}

static int ck_path_open_preopen(ctx_t *c) {
    static const struct {
        __wasi_rights_t right;
        const char *name;
    } base_rights[] = {
        {R_(PATH_CREATE_DIRECTORY), "PATH_CREATE_DIRECTORY"},
        {R_(PATH_CREATE_FILE), "PATH_CREATE_FILE"},
        {R_(PATH_LINK_SOURCE), "PATH_LINK_SOURCE"},
        {R_(PATH_LINK_TARGET), "PATH_LINK_TARGET"},
        {R_(PATH_OPEN), "PATH_OPEN"},
        {R_(FD_READDIR), "FD_READDIR"},
        {R_(PATH_READLINK), "PATH_READLINK"},
        {R_(PATH_RENAME_SOURCE), "PATH_RENAME_SOURCE"},
        {R_(PATH_RENAME_TARGET), "PATH_RENAME_TARGET"},
        {R_(PATH_SYMLINK), "PATH_SYMLINK"},
        {R_(PATH_REMOVE_DIRECTORY), "PATH_REMOVE_DIRECTORY"},
        {R_(PATH_UNLINK_FILE), "PATH_UNLINK_FILE"},
        {R_(PATH_FILESTAT_GET), "PATH_FILESTAT_GET"},
        {R_(PATH_FILESTAT_SET_TIMES), "PATH_FILESTAT_SET_TIMES"},
        {R_(FD_FILESTAT_GET), "FD_FILESTAT_GET"},
        {R_(FD_FILESTAT_SET_TIMES), "FD_FILESTAT_SET_TIMES"},
    },
      inheriting_extra[] = {
          {R_(FD_DATASYNC), "FD_DATASYNC"},
          {R_(FD_READ), "FD_READ"},
          {R_(FD_SEEK), "FD_SEEK"},
          {R_(FD_FDSTAT_SET_FLAGS), "FD_FDSTAT_SET_FLAGS"},
          {R_(FD_SYNC), "FD_SYNC"},
          {R_(FD_TELL), "FD_TELL"},
          {R_(FD_WRITE), "FD_WRITE"},
          {R_(FD_ADVISE), "FD_ADVISE"},
          {R_(FD_ALLOCATE), "FD_ALLOCATE"},
          {R_(FD_FILESTAT_GET), "FD_FILESTAT_GET"},
          {R_(FD_FILESTAT_SET_SIZE), "FD_FILESTAT_SET_SIZE"},
          {R_(FD_FILESTAT_SET_TIMES), "FD_FILESTAT_SET_TIMES"},
          {R_(POLL_FD_READWRITE), "POLL_FD_READWRITE"},
      };
    __wasi_fd_t pre = c->pre, fd;
    __wasi_prestat_t ps;
    OK(__wasi_fd_prestat_get(pre, &ps), "fd_prestat_get(preopen)");
    EQ(ps.tag, __WASI_PREOPENTYPE_DIR, "prestat tag");
    static uint8_t name[300];
    TRUE(ps.u.dir.pr_name_len < sizeof name, "preopen name too long (%zu)", ps.u.dir.pr_name_len);
    OK(__wasi_fd_prestat_dir_name(pre, name, ps.u.dir.pr_name_len), "fd_prestat_dir_name(preopen)");
    __wasi_fdstat_t st;
    OK(__wasi_fd_fdstat_get(pre, &st), "fd_fdstat_get(preopen)");
    for (size_t i = 0; i < sizeof base_rights / sizeof *base_rights; i++)
        TRUE((st.fs_rights_base & base_rights[i].right) == base_rights[i].right,
             "preopen fs_rights_base (0x%" PRIx64 ") lacks %s", st.fs_rights_base, base_rights[i].name);
    for (size_t i = 0; i < sizeof base_rights / sizeof *base_rights; i++)
        TRUE((st.fs_rights_inheriting & base_rights[i].right) == base_rights[i].right,
             "preopen fs_rights_inheriting (0x%" PRIx64 ") lacks %s", st.fs_rights_inheriting, base_rights[i].name);
    for (size_t i = 0; i < sizeof inheriting_extra / sizeof *inheriting_extra; i++)
        TRUE((st.fs_rights_inheriting & inheriting_extra[i].right) == inheriting_extra[i].right,
             "preopen fs_rights_inheriting (0x%" PRIx64 ") lacks %s", st.fs_rights_inheriting,
             inheriting_extra[i].name);
    OK(__wasi_path_open(pre, 0, ".", 0, st.fs_rights_base, st.fs_rights_inheriting, 0, &fd),
       "path_open(preopen, \".\", same rights)");
    OK(__wasi_fd_close(fd), "fd_close");
    OK(__wasi_path_open(pre, 0, ".", 0, 0, 0, 0, &fd), "path_open(preopen, \".\", no rights)");
    OK(__wasi_fd_close(fd), "fd_close");
    OK(__wasi_path_open(pre, 0, ".", __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &fd),
       "path_open(preopen, \".\", DIRECTORY, no rights)");
    OK(__wasi_fd_close(fd), "fd_close");
    OK(__wasi_path_open(pre, 0, ".", __WASI_OFLAGS_DIRECTORY, R_(FD_READ), 0, 0, &fd),
       "path_open(preopen, \".\", DIRECTORY, FD_READ)");
    OK(__wasi_fd_close(fd), "fd_close");
    int e = __wasi_path_open(pre, 0, ".", __WASI_OFLAGS_DIRECTORY, R_(FD_READ) | R_(FD_WRITE), 0, 0, &fd);
    if (e == 0) (void)__wasi_fd_close(fd);
    ERR(e, "path_open(preopen, \".\", DIRECTORY, FD_READ|FD_WRITE)", E_(ISDIR));
    return 0;
}

static int ck_path_open_read_write(ctx_t *c) {
    const char *name = "file.cleanup";
    __wasi_fd_t fd;
    __wasi_fdstat_t st;
    __wasi_filestat_t fst;
    __wasi_size_t n;
    static uint8_t buf[100], w1[50], w2[25];
    memset(w1, 1, sizeof w1);
    memset(w2, 2, sizeof w2);
    RUN(create_file(c->dir, name));

    OK(__wasi_path_open(c->dir, 0, name, 0, R_(FD_READ), 0, 0, &fd), "path_open(file, FD_READ)");
    OK(__wasi_fd_fdstat_get(fd, &st), "fd_fdstat_get(read-only fd)");
    TRUE(st.fs_rights_base & R_(FD_READ), "read-only fd: base rights lack FD_READ (0x%" PRIx64 ")",
         st.fs_rights_base);
    TRUE(!(st.fs_rights_base & R_(FD_WRITE)), "read-only fd: base rights have FD_WRITE (0x%" PRIx64 ")",
         st.fs_rights_base);
    OK(read1(fd, buf, 100, &n), "fd_read(read-only fd)");
    EQ(n, 0, "bytes read from the empty file");
    ERR(write1(fd, w1, 50, &n), "fd_write(read-only fd)", E_(BADF), E_(NOTCAPABLE), E_(ACCES));
    OK(__wasi_fd_close(fd), "fd_close(read-only fd)");

    OK(__wasi_path_open(c->dir, 0, name, 0, R_(FD_WRITE), 0, 0, &fd), "path_open(file, FD_WRITE)");
    OK(__wasi_fd_fdstat_get(fd, &st), "fd_fdstat_get(write-only fd)");
    TRUE(!(st.fs_rights_base & R_(FD_READ)), "write-only fd: base rights have FD_READ (0x%" PRIx64 ")",
         st.fs_rights_base);
    TRUE(st.fs_rights_base & R_(FD_WRITE), "write-only fd: base rights lack FD_WRITE (0x%" PRIx64 ")",
         st.fs_rights_base);
    ERR(read1(fd, buf, 100, &n), "fd_read(write-only fd)", E_(BADF), E_(NOTCAPABLE), E_(ACCES));
    OK(write1(fd, w1, 50, &n), "fd_write(write-only fd)");
    EQ(n, 50, "bytes written via the write-only fd");
    OK(__wasi_fd_close(fd), "fd_close(write-only fd)");

    OK(__wasi_path_open(c->dir, 0, name, 0, R_(FD_READ) | R_(FD_WRITE) | R_(FD_FILESTAT_GET), 0, 0, &fd),
       "path_open(file, FD_READ|FD_WRITE)");
    OK(__wasi_fd_fdstat_get(fd, &st), "fd_fdstat_get(read-write fd)");
    TRUE(st.fs_rights_base & R_(FD_READ), "read-write fd: base rights lack FD_READ (0x%" PRIx64 ")",
         st.fs_rights_base);
    TRUE(st.fs_rights_base & R_(FD_WRITE), "read-write fd: base rights lack FD_WRITE (0x%" PRIx64 ")",
         st.fs_rights_base);
    OK(read1(fd, buf, 100, &n), "fd_read(read-write fd)");
    EQ(n, 50, "bytes read via the read-write fd");
    OK(write1(fd, w2, 25, &n), "fd_write(read-write fd)");
    EQ(n, 25, "bytes written via the read-write fd");
    OK(__wasi_fd_filestat_get(fd, &fst), "fd_filestat_get(read-write fd)");
    EQ(fst.size, 75, "file size after both writes");
    OK(__wasi_fd_close(fd), "fd_close(read-write fd)");
    OK(__wasi_path_unlink_file(c->dir, name), "path_unlink_file(file)");
    return 0;
}

static int ck_path_rename(ctx_t *c) {
    __wasi_fd_t d = c->dir, fd;
    OK(__wasi_path_create_directory(d, "source"), "path_create_directory(source)");
    OK(__wasi_path_rename(d, "source", d, "target"), "path_rename(dir source -> new target)");
    ERR(__wasi_path_open(d, 0, "source", __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &fd), "path_open(old name, DIRECTORY)",
        E_(NOENT));
    OK(__wasi_path_open(d, 0, "target", __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &fd), "path_open(new name, DIRECTORY)");
    TRUE(fd > 2, "file descriptor range check: got %u", fd);
    OK(__wasi_fd_close(fd), "fd_close");
    OK(__wasi_path_remove_directory(d, "target"), "path_remove_directory(target)");

    OK(__wasi_path_create_directory(d, "source"), "path_create_directory(source) 2");
    OK(__wasi_path_create_directory(d, "target"), "path_create_directory(target) 2");
    OK(__wasi_path_rename(d, "source", d, "target"), "path_rename(dir -> existing empty dir)");
    ERR(__wasi_path_open(d, 0, "source", __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &fd), "path_open(old name, DIRECTORY) 2",
        E_(NOENT));
    OK(__wasi_path_open(d, 0, "target", __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &fd), "path_open(new name, DIRECTORY) 2");
    TRUE(fd > 2, "file descriptor range check: got %u", fd);
    OK(__wasi_fd_close(fd), "fd_close");
    OK(__wasi_path_remove_directory(d, "target"), "path_remove_directory(target) 2");

    OK(__wasi_path_create_directory(d, "source"), "path_create_directory(source) 3");
    OK(__wasi_path_create_directory(d, "target"), "path_create_directory(target) 3");
    RUN(create_file(d, "target/file"));
    ERR(__wasi_path_rename(d, "source", d, "target"), "path_rename(dir -> non-empty dir)", E_(NOTEMPTY), E_(ACCES));
    int e = __wasi_path_rename(d, "source", d, "target/file");
    if (e == 0) {
        OK(__wasi_path_remove_directory(d, "target/file"), "path_remove_directory(target/file)");
    } else {
        ERR(e, "path_rename(dir -> existing file)", E_(SUCCESS), E_(NOTDIR));
        OK(__wasi_path_unlink_file(d, "target/file"), "path_unlink_file(target/file)");
        OK(__wasi_path_remove_directory(d, "source"), "path_remove_directory(source)");
    }
    OK(__wasi_path_remove_directory(d, "target"), "path_remove_directory(target) 3");

    RUN(create_file(d, "source"));
    OK(__wasi_path_rename(d, "source", d, "target"), "path_rename(file -> new name)");
    ERR(__wasi_path_open(d, 0, "source", 0, 0, 0, 0, &fd), "path_open(old file name)", E_(NOENT));
    OK(__wasi_path_open(d, 0, "target", 0, 0, 0, 0, &fd), "path_open(new file name)");
    TRUE(fd > 2, "file descriptor range check: got %u", fd);
    OK(__wasi_fd_close(fd), "fd_close");
    OK(__wasi_path_unlink_file(d, "target"), "path_unlink_file(target)");

    RUN(create_file(d, "source"));
    RUN(create_file(d, "target"));
    OK(__wasi_path_rename(d, "source", d, "target"), "path_rename(file -> existing file)");
    ERR(__wasi_path_open(d, 0, "source", 0, 0, 0, 0, &fd), "path_open(old file name) 2", E_(NOENT));
    OK(__wasi_path_open(d, 0, "target", 0, 0, 0, 0, &fd), "path_open(new file name) 2");
    TRUE(fd > 2, "file descriptor range check: got %u", fd);
    OK(__wasi_fd_close(fd), "fd_close");
    OK(__wasi_path_unlink_file(d, "target"), "path_unlink_file(target) 2");

    RUN(create_file(d, "source"));
    OK(__wasi_path_create_directory(d, "target"), "path_create_directory(target) 4");
    ERR(__wasi_path_rename(d, "source", d, "target"), "path_rename(file -> existing dir)", E_(ISDIR), E_(ACCES));
    OK(__wasi_path_remove_directory(d, "target"), "path_remove_directory(target) 4");
    OK(__wasi_path_unlink_file(d, "source"), "path_unlink_file(source)");
    return 0;
}

static int ck_path_rename_dir_trailing_slashes(ctx_t *c) {
    __wasi_fd_t d = c->dir;
    OK(__wasi_path_create_directory(d, "source"), "path_create_directory(source)");
    OK(__wasi_path_rename(d, "source/", d, "target"), "path_rename(\"source/\" -> \"target\")");
    OK(__wasi_path_rename(d, "target", d, "source/"), "path_rename(\"target\" -> \"source/\")");
    OK(__wasi_path_rename(d, "source/", d, "target/"), "path_rename(\"source/\" -> \"target/\")");
    OK(__wasi_path_rename(d, "target", d, "source"), "path_rename(\"target\" -> \"source\")");
    OK(__wasi_path_remove_directory(d, "source"), "path_remove_directory(source)");
    return 0;
}

static int ck_path_symlink_trailing_slashes(ctx_t *c) {
    __wasi_fd_t d = c->dir;
    ERR(__wasi_path_symlink("source", d, "target/"), "path_symlink(-> \"target/\") (dangling, trailing slash)",
        E_(NOENT));
    if (__wasi_path_symlink("source", d, "target") == 0)
        OK(__wasi_path_unlink_file(d, "target"), "path_unlink_file(target)");
    OK(__wasi_path_create_directory(d, "target"), "path_create_directory(target)");
    ERR(__wasi_path_symlink("source", d, "target/"), "path_symlink onto an existing dir \"target/\"", E_(EXIST),
        E_(NOENT));
    OK(__wasi_path_remove_directory(d, "target"), "path_remove_directory(target)");
    OK(__wasi_path_create_directory(d, "target"), "path_create_directory(target) 2");
    ERR(__wasi_path_symlink("source", d, "target"), "path_symlink onto an existing dir \"target\"", E_(EXIST),
        E_(NOENT));
    OK(__wasi_path_remove_directory(d, "target"), "path_remove_directory(target) 2");
    RUN(create_file(d, "target"));
    ERR(__wasi_path_symlink("source", d, "target/"), "path_symlink onto an existing file \"target/\"", E_(NOTDIR),
        E_(NOENT), E_(EXIST));
    OK(__wasi_path_unlink_file(d, "target"), "path_unlink_file(target) 2");
    RUN(create_file(d, "target"));
    ERR(__wasi_path_symlink("source", d, "target"), "path_symlink onto an existing file \"target\"", E_(EXIST),
        E_(NOENT));
    OK(__wasi_path_unlink_file(d, "target"), "path_unlink_file(target) 3");
    return 0;
}

#define CLOCK_ID 0x12345678ull
#define STDIN_ID 0x876543210ull
#define POLL_TIMEOUT 200000000ull

static void clock_sub(__wasi_subscription_t *s, uint64_t userdata) {
    memset(s, 0, sizeof *s);
    s->userdata = userdata;
    s->u.tag = __WASI_EVENTTYPE_CLOCK;
    s->u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    s->u.u.clock.timeout = POLL_TIMEOUT;
    s->u.u.clock.precision = 0;
    s->u.u.clock.flags = 0;
}

static void fd_sub(__wasi_subscription_t *s, uint64_t userdata, __wasi_eventtype_t type, __wasi_fd_t fd) {
    memset(s, 0, sizeof *s);
    s->userdata = userdata;
    s->u.tag = type;
    if (type == __WASI_EVENTTYPE_FD_READ) {
        s->u.u.fd_read.file_descriptor = fd;
    } else {
        s->u.u.fd_write.file_descriptor = fd;
    }
}

static int ck_poll_oneoff_stdio(ctx_t *c) {
    (void)c;
    __wasi_subscription_t subs[3];
    __wasi_event_t out[3];
    __wasi_size_t n = 0;
    clock_sub(&subs[0], CLOCK_ID);
    fd_sub(&subs[1], STDIN_ID, __WASI_EVENTTYPE_FD_READ, 0);
    memset(out, 0, sizeof out);
    OK(__wasi_poll_oneoff(subs, out, 2, &n), "poll_oneoff([clock 200ms, FD_READ stdin])");
    TRUE(n >= 1 && n <= 2, "poll_oneoff([clock, stdin]): expected 1 or 2 events, got %u", (unsigned)n);
    for (__wasi_size_t i = 0; i < n; i++) {
        if (out[i].type == __WASI_EVENTTYPE_CLOCK) {
            EQ(out[i].error, 0, "clock event error");
            EQX(out[i].userdata, CLOCK_ID, "clock event userdata");
        } else if (out[i].type == __WASI_EVENTTYPE_FD_READ) {
            EQ(out[i].error, 0, "stdin FD_READ event error");
            EQX(out[i].userdata, STDIN_ID, "stdin FD_READ event userdata");
        } else {
            FAILF("poll_oneoff([clock, stdin]): unexpected event type %u", out[i].type);
        }
    }
    int pending_out = 1, pending_err = 1;
    for (int round = 0; (pending_out || pending_err) && round < 50; round++) {
        int k = 0;
        if (pending_out) fd_sub(&subs[k++], 1, __WASI_EVENTTYPE_FD_WRITE, 1);
        if (pending_err) fd_sub(&subs[k++], 2, __WASI_EVENTTYPE_FD_WRITE, 2);
        clock_sub(&subs[k++], CLOCK_ID);
        memset(out, 0, sizeof out);
        OK(__wasi_poll_oneoff(subs, out, k, &n), "poll_oneoff([FD_WRITE stdout/stderr, clock 200ms])");
        for (__wasi_size_t i = 0; i < n; i++) {
            if (out[i].userdata == CLOCK_ID)
                FAILF("poll_oneoff: timed out with FD_WRITE pending for%s%s", pending_out ? " stdout" : "",
                      pending_err ? " stderr" : "");
            int *pending = out[i].userdata == 1 ? &pending_out : out[i].userdata == 2 ? &pending_err : NULL;
            TRUE(pending && *pending, "poll_oneoff: unknown or repeated userdata %" PRIu64, out[i].userdata);
            *pending = 0;
            EQ(out[i].type, __WASI_EVENTTYPE_FD_WRITE, "stdout/stderr event type");
            EQ(out[i].error, 0, "stdout/stderr event error");
        }
    }
    TRUE(!pending_out && !pending_err, "poll_oneoff: stdout/stderr never reported writable");
    return 0;
}

static int ck_readlink(ctx_t *c) {
    RUN(create_file(c->dir, "target"));
    OK(__wasi_path_symlink("target", c->dir, "symlink"), "path_symlink(target -> symlink)");
    uint8_t buf[10] = {0};
    __wasi_size_t used;
    OK(__wasi_path_readlink(c->dir, "symlink", buf, sizeof buf, &used), "path_readlink(symlink, 10-byte buffer)");
    EQ(used, 6, "path_readlink bytes used (10-byte buffer)");
    TRUE(memcmp(buf, "target", 6) == 0, "path_readlink: expected \"target\", got \"%.6s\"", (const char *)buf);
    TRUE(buf[6] == 0 && buf[7] == 0 && buf[8] == 0 && buf[9] == 0,
         "path_readlink touched the buffer past the link text");
    uint8_t small[4] = {0};
    OK(__wasi_path_readlink(c->dir, "symlink", small, sizeof small, &used), "path_readlink(symlink, 4-byte buffer)");
    EQ(used, 4, "path_readlink bytes used (4-byte buffer)");
    TRUE(memcmp(small, "targ", 4) == 0, "path_readlink(4 bytes): expected \"targ\", got \"%.4s\"", (const char *)small);
    OK(__wasi_path_unlink_file(c->dir, "target"), "path_unlink_file(target)");
    OK(__wasi_path_unlink_file(c->dir, "symlink"), "path_unlink_file(symlink)");
    return 0;
}

static int ck_remove_directory_trailing_slashes(ctx_t *c) {
    __wasi_fd_t d = c->dir;
    OK(__wasi_path_create_directory(d, "dir.cleanup"), "path_create_directory(dir)");
    OK(__wasi_path_remove_directory(d, "dir.cleanup"), "path_remove_directory(dir)");
    OK(__wasi_path_create_directory(d, "dir.cleanup"), "path_create_directory(dir) 2");
    int e = __wasi_path_remove_directory(d, "dir.cleanup/");
    if (e != 0) {
        ERR(e, "path_remove_directory(\"dir/\")", E_(SUCCESS), E_(ACCES));
        OK(__wasi_path_remove_directory(d, "dir.cleanup"), "path_remove_directory(dir) after EACCES");
    }
    RUN(create_file(d, "file.cleanup"));
    ERR(__wasi_path_remove_directory(d, "file.cleanup"), "path_remove_directory(file)", E_(NOTDIR));
    ERR(__wasi_path_remove_directory(d, "file.cleanup/"), "path_remove_directory(\"file/\")", E_(NOTDIR), E_(NOENT));
    OK(__wasi_path_unlink_file(d, "file.cleanup"), "path_unlink_file(file)");
    return 0;
}

static int ck_remove_nonempty_directory(ctx_t *c) {
    OK(__wasi_path_create_directory(c->dir, "dir"), "path_create_directory(dir)");
    OK(__wasi_path_create_directory(c->dir, "dir/nested"), "path_create_directory(dir/nested)");
    ERR(__wasi_path_remove_directory(c->dir, "dir"), "path_remove_directory(non-empty dir)", E_(NOTEMPTY));
    OK(__wasi_path_remove_directory(c->dir, "dir/nested"), "path_remove_directory(dir/nested)");
    OK(__wasi_path_remove_directory(c->dir, "dir"), "path_remove_directory(dir)");
    return 0;
}

static int ck_renumber(ctx_t *c) {
    __wasi_fd_t pre = 3, from, to;
    TRUE(c->dir > pre, "dir_fd number: expected the scratch dir fd (%u) > 3", c->dir);
    __wasi_fdstat_t sf, st;
    OK(__wasi_path_open(c->dir, 0, "file1", __WASI_OFLAGS_CREAT, R_(FD_READ) | R_(FD_WRITE), 0, 0, &from),
       "path_open(file1, CREAT)");
    TRUE(from > 2, "file descriptor range check: got %u", from);
    OK(__wasi_fd_fdstat_get(from, &sf), "fd_fdstat_get(file1)");
    OK(__wasi_path_open(c->dir, 0, "file2", __WASI_OFLAGS_CREAT, R_(FD_READ) | R_(FD_WRITE), 0, 0, &to),
       "path_open(file2, CREAT)");
    TRUE(to > 2, "file descriptor range check: got %u", to);
    OK(__wasi_fd_renumber(from, to), "fd_renumber(file1 fd, file2 fd)");
    ERR(__wasi_fd_close(from), "fd_close(renumbered-away fd)", E_(BADF));
    OK(__wasi_fd_fdstat_get(to, &st), "fd_fdstat_get(target fd)");
    EQ(st.fs_filetype, sf.fs_filetype, "target fd fdstat vs source: fs_filetype");
    EQ(st.fs_flags, sf.fs_flags, "target fd fdstat vs source: fs_flags");
    EQX(st.fs_rights_base, sf.fs_rights_base, "target fd fdstat vs source: fs_rights_base");
    EQX(st.fs_rights_inheriting, sf.fs_rights_inheriting, "target fd fdstat vs source: fs_rights_inheriting");
    ERR(__wasi_fd_renumber(to, from), "fd_renumber(open fd, closed fd)", E_(BADF));
    OK(__wasi_fd_close(to), "fd_close(target fd)");
    OK(__wasi_path_unlink_file(c->dir, "file1"), "path_unlink_file(file1)");
    OK(__wasi_path_unlink_file(c->dir, "file2"), "path_unlink_file(file2)");
    return 0;
}

static int ck_sched_yield(ctx_t *c) {
    (void)c;
    OK(__wasi_sched_yield(), "sched_yield()");
    return 0;
}

/* Opens placeholder directories until the allocator hands out `want` (which
 * must be closed), then moves descriptor `from` there. Works whatever order
 * the host reuses numbers in. Returns 0 on success. */
static int restore_fd(__wasi_fd_t dir, __wasi_fd_t from, __wasi_fd_t want) {
    __wasi_fd_t held[64];
    int count = 0, found = 0;
    while (count < 64) {
        __wasi_fd_t fd;
        if (__wasi_path_open(dir, 0, ".", __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &fd) != 0) break;
        if (fd == want) {
            found = 1;
            break;
        }
        held[count++] = fd;
    }
    for (int i = 0; i < count; i++) (void)__wasi_fd_close(held[i]);
    if (!found) return 1;
    return __wasi_fd_renumber(from, want) != 0;
}

/* Puts stdin/stdout/stderr back on 0/1/2 after the stdio check moved them to
 * loc[0..2] (a stream may sit on another stream's number). Returns 0 on success. */
static int restore_stdio(__wasi_fd_t dir, __wasi_fd_t loc[3]) {
    for (int round = 0; round < 6; round++) {
        int moved = 0;
        for (__wasi_fd_t s = 0; s <= 2; s++) {
            if (loc[s] == s) continue;
            moved = 1;
            for (__wasi_fd_t o = 0; o <= 2; o++) {
                if (o == s || loc[o] != s) continue;
                /* stream o occupies s: move it to a fresh placeholder number first */
                __wasi_fd_t tmp;
                if (__wasi_path_open(dir, 0, ".", __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &tmp) != 0) return 1;
                if (__wasi_fd_renumber(s, tmp) != 0) return 1;
                loc[o] = tmp;
            }
            if (restore_fd(dir, loc[s], s) != 0) return 1;
            loc[s] = s;
        }
        if (!moved) return 0;
    }
    return !(loc[0] == 0 && loc[1] == 1 && loc[2] == 2);
}

/* As the suite: for each of stdin, stdout, stderr in turn, open a file and
 * renumber the stream onto it (so later files reuse the freed stdio numbers,
 * as wasmtime's allocator does), then restore the streams so that the report
 * can be printed. */
static int ck_stdio(ctx_t *c) {
    const char *name = "file.cleanup";
    static const char *names[] = {"stdin", "stdout", "stderr"};
    __wasi_fd_t loc[3] = {0, 1, 2};
    int err[3][4];
    __wasi_fd_t tos[3];
    int reached = 0;
    for (__wasi_fd_t s = 0; s <= 2; s++) {
        __wasi_fd_t to = (__wasi_fd_t)-1;
        __wasi_fdstat_t st;
        err[s][0] = __wasi_path_open(c->dir, 0, name, __WASI_OFLAGS_CREAT, 0, 0, 0, &to);
        err[s][1] = err[s][0] ? -1 : __wasi_fd_renumber(s, to);
        if (err[s][1] == 0) loc[s] = to;
        err[s][2] = err[s][1] ? -1 : __wasi_fd_fdstat_get(to, &st);
        err[s][3] = err[s][1] ? -1 : __wasi_fd_fdstat_get(s, &st);
        tos[s] = to;
        (void)__wasi_path_unlink_file(c->dir, name);
        reached = s + 1;
        if (err[s][0] || err[s][1]) break;
    }
    int lost = restore_stdio(c->dir, loc);
    char what[128];
    for (int s = 0; s < reached; s++) {
        snprintf(what, sizeof what, "path_open(file, CREAT) for %s", names[s]);
        OK(err[s][0], what);
        snprintf(what, sizeof what, "fd_renumber(%s, file fd %u)", names[s], tos[s]);
        OK(err[s][1], what);
        snprintf(what, sizeof what, "fd_fdstat_get(%u) after fd_renumber(%s, %u)", tos[s], names[s], tos[s]);
        OK(err[s][2], what);
        TRUE(err[s][3] != 0, "fd_fdstat_get(%d) after renumbering %s away: expected an error, got success", s,
             names[s]);
    }
    TRUE(!lost, "(housekeeping) could not move stdin/stdout/stderr back to 0/1/2");
    return 0;
}

static int ck_symlink_create(ctx_t *c) {
    __wasi_fd_t d = c->dir, fd;
    OK(__wasi_path_open(d, 0, "target", __WASI_OFLAGS_CREAT, 0, 0, 0, &fd), "path_open(target, CREAT)");
    OK(__wasi_fd_close(fd), "fd_close(target)");
    OK(__wasi_path_symlink("target", d, "symlink"), "path_symlink(target -> symlink) (file)");
    OK(__wasi_path_open(d, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "symlink", 0, 0, 0, 0, &fd),
       "path_open(symlink to file, follow)");
    TRUE(fd > 2, "file descriptor range check: got %u", fd);
    OK(__wasi_fd_close(fd), "fd_close");
    OK(__wasi_path_unlink_file(d, "symlink"), "path_unlink_file(symlink)");
    OK(__wasi_path_unlink_file(d, "target"), "path_unlink_file(target)");

    OK(__wasi_path_create_directory(d, "target"), "path_create_directory(target)");
    OK(__wasi_path_symlink("target", d, "symlink"), "path_symlink(target -> symlink) (dir)");
    OK(__wasi_path_open(d, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "symlink", __WASI_OFLAGS_DIRECTORY, 0, 0, 0, &fd),
       "path_open(symlink to dir, DIRECTORY, follow)");
    TRUE(fd > 2, "file descriptor range check: got %u", fd);
    OK(__wasi_fd_close(fd), "fd_close");
    OK(__wasi_path_unlink_file(d, "symlink"), "path_unlink_file(symlink to dir)");
    OK(__wasi_path_remove_directory(d, "target"), "path_remove_directory(target)");

    int e = __wasi_path_symlink("/", d, "symlink");
    if (e == 0) {
        (void)__wasi_path_unlink_file(d, "symlink");
        FAILF("path_symlink(\"/\" -> symlink) (absolute target): expected an error (wasmtime: EPERM), got success");
    }
    return 0;
}

static int ck_symlink_filestat(ctx_t *c) {
    __wasi_fdstat_t fdst;
    __wasi_filestat_t file_stat, sym_stat, st;
    __wasi_fd_t fd;
    OK(__wasi_fd_fdstat_get(c->dir, &fdst), "fd_fdstat_get(dir)");
    TRUE(fdst.fs_rights_base & R_(PATH_FILESTAT_GET),
         "the scratch directory should have PATH_FILESTAT_GET in its base rights (got 0x%" PRIx64 ")",
         fdst.fs_rights_base);
    OK(__wasi_path_open(c->dir, 0, "file", __WASI_OFLAGS_CREAT, R_(FD_READ) | R_(FD_WRITE) | R_(PATH_FILESTAT_GET), 0,
                        0, &fd),
       "path_open(file, CREAT)");
    TRUE(fd > 2, "file descriptor range check: got %u", fd);
    OK(__wasi_path_filestat_get(c->dir, 0, "file", &file_stat), "path_filestat_get(file)");
    EQ(file_stat.size, 0, "size of the new file");
    OK(__wasi_path_symlink("file", c->dir, "symlink"), "path_symlink(file -> symlink)");
    OK(__wasi_path_filestat_get(c->dir, 0, "symlink", &sym_stat), "path_filestat_get(symlink, no follow)");
    __wasi_timestamp_t sym_new_mtim = sym_stat.mtim - 200;
    OK(__wasi_path_filestat_set_times(c->dir, 0, "symlink", 0, sym_new_mtim, __WASI_FSTFLAGS_MTIM),
       "path_filestat_set_times(symlink, no follow, MTIM)");
    OK(__wasi_path_filestat_get(c->dir, 0, "symlink", &st), "path_filestat_get(symlink, no follow) 2");
    EQ(st.mtim, sym_new_mtim, "symlink mtim after path_filestat_set_times(no follow)");
    OK(__wasi_path_filestat_get(c->dir, 0, "file", &st), "path_filestat_get(file) 2");
    EQ(st.mtim, file_stat.mtim, "file mtim after setting the symlink's own mtim (must be unchanged)");
    OK(__wasi_path_filestat_get(c->dir, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "symlink", &st),
       "path_filestat_get(symlink, follow)");
    EQ(st.mtim, file_stat.mtim, "mtim through the followed symlink vs the file's");
    OK(__wasi_path_filestat_set_times(c->dir, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "symlink", 0, sym_stat.mtim,
                                      __WASI_FSTFLAGS_MTIM),
       "path_filestat_set_times(symlink, follow, MTIM)");
    OK(__wasi_path_filestat_get(c->dir, 0, "file", &st), "path_filestat_get(file) 3");
    EQ(st.mtim, sym_stat.mtim, "file mtim after path_filestat_set_times through the followed symlink");
    OK(__wasi_fd_close(fd), "fd_close(file)");
    OK(__wasi_path_unlink_file(c->dir, "symlink"), "path_unlink_file(symlink)");
    OK(__wasi_path_unlink_file(c->dir, "file"), "path_unlink_file(file)");
    return 0;
}

static int ck_symlink_loop(ctx_t *c) {
    __wasi_fd_t fd;
    if (__wasi_path_symlink("symlink", c->dir, "symlink") != 0) return 0; /* skipped by the suite */
    ERR(__wasi_path_open(c->dir, 0, "symlink", 0, 0, 0, 0, &fd), "path_open(self-referencing symlink)", E_(LOOP));
    OK(__wasi_path_unlink_file(c->dir, "symlink"), "path_unlink_file(symlink)");
    return 0;
}

static int ck_truncation_rights(ctx_t *c) {
    __wasi_fd_t d = c->dir, fd;
    __wasi_fdstat_t st;
    RUN(create_file(d, "file"));
    OK(__wasi_fd_fdstat_get(d, &st), "fd_fdstat_get(scratch dir)");
    EQ(st.fs_filetype, __WASI_FILETYPE_DIRECTORY, "scratch dir fs_filetype");
    EQ(st.fs_flags, 0, "scratch dir fs_flags");
    EQX(st.fs_rights_base & R_(FD_FILESTAT_SET_SIZE), 0, "scratch dir base rights & FD_FILESTAT_SET_SIZE");
    if (st.fs_rights_base & R_(PATH_FILESTAT_SET_SIZE)) {
        OK(__wasi_path_open(d, 0, "file", __WASI_OFLAGS_TRUNC, 0, 0, 0, &fd), "path_open(file, TRUNC)");
        OK(__wasi_fd_close(fd), "fd_close");
        __wasi_rights_t base = st.fs_rights_base, inheriting = st.fs_rights_inheriting;
        if (inheriting & R_(FD_FILESTAT_SET_SIZE)) {
            inheriting &= ~R_(FD_FILESTAT_SET_SIZE);
            OK(__wasi_fd_fdstat_set_rights(d, base, inheriting),
               "fd_fdstat_set_rights(dir, drop inheriting FD_FILESTAT_SET_SIZE) (the dir reports "
               "PATH_FILESTAT_SET_SIZE, so the suite expects rights to work)");
        }
        OK(__wasi_path_open(d, 0, "file", __WASI_OFLAGS_TRUNC, 0, 0, 0, &fd),
           "path_open(file, TRUNC) without FD_FILESTAT_SET_SIZE");
        OK(__wasi_fd_close(fd), "fd_close");
        base &= ~R_(PATH_FILESTAT_SET_SIZE);
        OK(__wasi_fd_fdstat_set_rights(d, base, inheriting),
           "fd_fdstat_set_rights(dir, drop PATH_FILESTAT_SET_SIZE) (the dir reports PATH_FILESTAT_SET_SIZE, so the "
           "suite expects rights to work)");
        OK(__wasi_fd_fdstat_get(d, &st), "fd_fdstat_get(dir) after dropping PATH_FILESTAT_SET_SIZE");
        EQX(st.fs_rights_base & R_(PATH_FILESTAT_SET_SIZE), 0, "dir base rights & PATH_FILESTAT_SET_SIZE after drop");
        ERR(__wasi_path_open(d, 0, "file", __WASI_OFLAGS_TRUNC, 0, 0, 0, &fd),
            "path_open(file, TRUNC) without PATH_FILESTAT_SET_SIZE", E_(PERM), E_(NOTCAPABLE));
    }
    OK(__wasi_path_unlink_file(d, "file"), "path_unlink_file(file)");
    return 0;
}

static int ck_unlink_file_trailing_slashes(ctx_t *c) {
    __wasi_fd_t d = c->dir;
    OK(__wasi_path_create_directory(d, "dir"), "path_create_directory(dir)");
    ERR(__wasi_path_unlink_file(d, "dir"), "path_unlink_file(dir)", E_(ISDIR), E_(PERM), E_(ACCES));
    ERR(__wasi_path_unlink_file(d, "dir/"), "path_unlink_file(\"dir/\")", E_(ISDIR), E_(PERM), E_(ACCES));
    OK(__wasi_path_remove_directory(d, "dir"), "path_remove_directory(dir)");
    RUN(create_file(d, "file"));
    ERR(__wasi_path_unlink_file(d, "file/"), "path_unlink_file(\"file/\")", E_(NOTDIR), E_(NOENT));
    OK(__wasi_path_unlink_file(d, "file"), "path_unlink_file(file)");
    return 0;
}

/* ======================================================================== */
/* C tests (tests/c/src), through wasi-libc                                  */

static int clock_libc(clockid_t id, const char *what, int res) {
    struct timespec ts;
    int r = res ? clock_getres(id, &ts) : clock_gettime(id, &ts);
    TRUE(r == 0, "%s: expected 0, got %d (errno %s)", what, r, ename(errno));
    return 0;
}

static int ck_clock_getres_monotonic(ctx_t *c) {
    (void)c;
    return clock_libc(CLOCK_MONOTONIC, "clock_getres(CLOCK_MONOTONIC)", 1);
}
static int ck_clock_getres_realtime(ctx_t *c) {
    (void)c;
    return clock_libc(CLOCK_REALTIME, "clock_getres(CLOCK_REALTIME)", 1);
}
static int ck_clock_gettime_monotonic(ctx_t *c) {
    (void)c;
    return clock_libc(CLOCK_MONOTONIC, "clock_gettime(CLOCK_MONOTONIC)", 0);
}
static int ck_clock_gettime_realtime(ctx_t *c) {
    (void)c;
    return clock_libc(CLOCK_REALTIME, "clock_gettime(CLOCK_REALTIME)", 0);
}

static int ck_fdopendir_with_access(ctx_t *c) {
    OK(__wasi_path_create_directory(c->dir, "fopendir.dir"), "fixture: path_create_directory(fopendir.dir)");
    RUN(create_file_with(c->dir, "fopendir.dir/file-0", "0"));
    RUN(create_file_with(c->dir, "fopendir.dir/file-1", "1"));
    const char *path = lpath(c, "fopendir.dir");
    int dfd = open(path, O_RDONLY | O_DIRECTORY);
    TRUE(dfd != -1, "open(\"%s\", O_RDONLY|O_DIRECTORY): expected a descriptor, got -1 (errno %s)", path,
         ename(errno));
    DIR *d = fdopendir(dfd);
    TRUE(d != NULL, "fdopendir: expected a stream, got NULL (errno %s)", ename(errno));
    int seen[2] = {0, 0};
    ino_t inodes[2] = {0, 0};
    struct dirent *dp;
    errno = 0;
    while ((dp = readdir(d)) != NULL) {
        if (dp->d_name[0] == '.') continue;
        int which = strncmp(dp->d_name, "file-0", 6) == 0 ? 0 : strncmp(dp->d_name, "file-1", 6) == 0 ? 1 : -1;
        if (which < 0) {
            closedir(d);
            FAILF("readdir: unexpected entry \"%s\"", dp->d_name);
        }
        seen[which] = 1;
        inodes[which] = dp->d_ino;
        struct stat sb;
        if (fstatat(dfd, dp->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
            int e = errno;
            closedir(d);
            FAILF("fstatat(\"%s\", AT_SYMLINK_NOFOLLOW): expected 0, got -1 (errno %s)", dp->d_name, ename(e));
        }
        if (sb.st_ino != dp->d_ino) {
            closedir(d);
            FAILF("\"%s\": readdir d_ino %" PRIu64 " != fstatat st_ino %" PRIu64, dp->d_name, (uint64_t)dp->d_ino,
                  (uint64_t)sb.st_ino);
        }
    }
    int rerr = errno;
    closedir(d);
    TRUE(rerr == 0, "readdir ended with errno %s", ename(rerr));
    TRUE(seen[0], "readdir did not return file-0");
    TRUE(seen[1], "readdir did not return file-1");
    TRUE(inodes[0] != inodes[1], "file-0 and file-1 have the same d_ino %" PRIu64, (uint64_t)inodes[0]);
    OK(__wasi_path_unlink_file(c->dir, "fopendir.dir/file-0"), "cleanup: unlink file-0");
    OK(__wasi_path_unlink_file(c->dir, "fopendir.dir/file-1"), "cleanup: unlink file-1");
    OK(__wasi_path_remove_directory(c->dir, "fopendir.dir"), "cleanup: remove fopendir.dir");
    return 0;
}

static int ck_fopen_with_access(ctx_t *c) {
    RUN(create_file_with(c->dir, "file", "content\n"));
    const char *path = lpath(c, "file");
    FILE *f = fopen(path, "r");
    TRUE(f != NULL, "fopen(\"%s\", \"r\"): expected a stream, got NULL (errno %s)", path, ename(errno));
    fclose(f);
    OK(__wasi_path_unlink_file(c->dir, "file"), "cleanup: unlink file");
    return 0;
}

static int ck_fopen_with_no_access(ctx_t *c) {
    (void)c;
    errno = 0;
    FILE *f = fopen("fs-tests.dir/file", "r");
    if (f != NULL) {
        fclose(f);
        FAILF("fopen(\"fs-tests.dir/file\") without preopens: expected NULL, got a stream");
    }
    TRUE(errno == ENOTCAPABLE, "fopen(\"fs-tests.dir/file\") without preopens: expected errno ENOTCAPABLE, got %s",
         ename(errno));
    return 0;
}

static int ck_lseek(ctx_t *c) {
    RUN(create_file_with(c->dir, "lseek.txt", "01234567"));
    const char *path = lpath(c, "lseek.txt");
    FILE *f = fopen(path, "r");
    TRUE(f != NULL, "fopen(\"%s\", \"r\"): expected a stream, got NULL (errno %s)", path, ename(errno));
    int fd = fileno(f);
    char buf[4];
    size_t size = fread(buf, 1, 4, f);
    off_t off;
    if (size != 4) {
        fclose(f);
        FAILF("fread(4): expected 4, got %zu", size);
    }
    fflush(f);
    off = lseek(fd, 0, SEEK_CUR);
    if (off != 4) {
        fclose(f);
        FAILF("lseek(fd, 0, SEEK_CUR) after fread(4)+fflush: expected 4, got %lld", (long long)off);
    }
    size = fread(buf, 1, 1, f);
    if (size != 1) {
        fclose(f);
        FAILF("fread(1): expected 1, got %zu", size);
    }
    fflush(f);
    off = lseek(fd, 0, SEEK_CUR);
    if (off != 5) {
        fclose(f);
        FAILF("lseek(fd, 0, SEEK_CUR) after fread(1)+fflush: expected 5, got %lld", (long long)off);
    }
    if (buf[0] != '4') {
        fclose(f);
        FAILF("fifth byte: expected '4', got 0x%02x", (unsigned char)buf[0]);
    }
    off = lseek(fd, 0, SEEK_SET);
    if (off != 0) {
        fclose(f);
        FAILF("lseek(fd, 0, SEEK_SET): expected 0, got %lld", (long long)off);
    }
    off = lseek(fd, 0, SEEK_END);
    fclose(f);
    TRUE(off == 8, "lseek(fd, 0, SEEK_END): expected 8, got %lld", (long long)off);
    OK(__wasi_path_unlink_file(c->dir, "lseek.txt"), "cleanup: unlink lseek.txt");
    return 0;
}

static int ck_pread_with_access(ctx_t *c) {
    RUN(create_file_with(c->dir, "pread.txt", "pread-test"));
    const char *path = lpath(c, "pread.txt");
    int fd = open(path, O_RDONLY);
    TRUE(fd > 0, "open(\"%s\", O_RDONLY): expected a descriptor, got %d (errno %s)", path, fd, ename(errno));
    const char *expected = "d-t";
    int len = 3, offset = 0;
    char buf[16];
    while (offset < len) {
        ssize_t r = pread(fd, buf + offset, len - offset, 4 + offset);
        if (r <= 0) {
            int e = errno;
            close(fd);
            FAILF("pread(%d bytes @%d): expected > 0, got %zd (errno %s)", len - offset, 4 + offset, r, ename(e));
        }
        offset += r;
    }
    TRUE(strncmp(buf, expected, 3) == 0, "pread @4: expected \"d-t\", got \"%.3s\"", buf);
    TRUE(close(fd) == 0, "close: expected 0 (errno %s)", ename(errno));
    OK(__wasi_path_unlink_file(c->dir, "pread.txt"), "cleanup: unlink pread.txt");
    return 0;
}

static int pwrite_full(int fd, const char *text, int len, int offset) {
    int written = 0;
    while (written < len) {
        ssize_t r = pwrite(fd, text + written, len - written, offset + written);
        TRUE(r > 0, "pwrite(%d bytes @%d): expected > 0, got %zd (errno %s)", len - written, offset + written, r,
             ename(errno));
        written += r;
    }
    return 0;
}

static int ck_pwrite_with_access(ctx_t *c) {
    OK(__wasi_path_create_directory(c->dir, "writeable"), "fixture: path_create_directory(writeable)");
    const char *path = lpath(c, "writeable/test_pwrite_pread.txt.cleanup");
    const char *full = "very long text";
    int full_len = (int)strlen(full);
    TRUE(access(path, F_OK) != 0, "access(\"%s\", F_OK) before creating it: expected an error, got 0", path);
    int fd = open(path, O_WRONLY | O_CREAT, 0644);
    TRUE(fd > 0, "open(O_WRONLY|O_CREAT): expected a descriptor, got %d (errno %s)", fd, ename(errno));
    RUN(pwrite_full(fd, full, full_len, 0));
    RUN(pwrite_full(fd, "test", 4, 3));
    TRUE(close(fd) == 0, "close: expected 0 (errno %s)", ename(errno));
    fd = open(path, O_RDONLY);
    TRUE(fd > 0, "open(O_RDONLY): expected a descriptor, got %d (errno %s)", fd, ename(errno));
    char buf[16];
    int got = 0;
    ssize_t r = 0;
    while (got < full_len) {
        r = read(fd, buf + got, sizeof buf - got);
        if (r <= 0) {
            int e = errno;
            close(fd);
            FAILF("read: expected > 0, got %zd after %d bytes (errno %s)", r, got, ename(e));
        }
        got += r;
    }
    TRUE(r == full_len, "read: expected one read of %d bytes, last read returned %zd", full_len, r);
    TRUE(strncmp("vertestng text", buf, full_len) == 0, "contents: expected \"vertestng text\", got \"%.*s\"",
         full_len, buf);
    TRUE(close(fd) == 0, "close: expected 0 (errno %s)", ename(errno));
    TRUE(remove(path) == 0, "remove(\"%s\"): expected 0 (errno %s)", path, ename(errno));
    OK(__wasi_path_remove_directory(c->dir, "writeable"), "cleanup: remove writeable");
    return 0;
}

static int ck_pwrite_with_append(ctx_t *c) {
    const char *path = lpath(c, "pwrite.cleanup");
    char buf[4] = {0};
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_APPEND, 0644);
    TRUE(fd != -1, "open(O_CREAT|O_TRUNC|O_WRONLY|O_APPEND): expected a descriptor (errno %s)", ename(errno));
    ssize_t size = write(fd, buf, 2);
    TRUE(size == 2, "write(2): expected 2, got %zd (errno %s)", size, ename(errno));
    off_t off = lseek(fd, 0, SEEK_SET);
    TRUE(off == 0, "lseek(0, SEEK_SET): expected 0, got %lld", (long long)off);
    size = write(fd, buf, 2);
    TRUE(size == 2, "write(2) after seeking to 0: expected 2, got %zd (errno %s)", size, ename(errno));
    off = lseek(fd, 0, SEEK_CUR);
    TRUE(off == 4, "lseek(0, SEEK_CUR) after the second append write: expected 4, got %lld", (long long)off);
    size = pwrite(fd, buf, 3, 0);
    TRUE(size == 3, "pwrite(3 bytes @0): expected 3, got %zd (errno %s)", size, ename(errno));
    off = lseek(fd, 0, SEEK_CUR);
    TRUE(off == 4, "lseek(0, SEEK_CUR) after pwrite: expected 4 (pwrite must not move the offset), got %lld",
         (long long)off);
    off = lseek(fd, 0, SEEK_END);
    TRUE(off == 4 || off == 7, "lseek(0, SEEK_END): expected 4 or 7, got %lld", (long long)off);
    close(fd);
    OK(__wasi_path_unlink_file(c->dir, "pwrite.cleanup"), "cleanup: unlink pwrite.cleanup");
    return 0;
}

static int ck_sock_shutdown_invalid_fd(ctx_t *c) {
    (void)c;
    errno = 0;
    int r = shutdown(3, SHUT_RDWR);
    TRUE(r == -1 && errno == EBADF, "shutdown(3) without preopens: expected -1 with EBADF, got %d (errno %s)", r,
         ename(errno));
    return 0;
}

static int ck_sock_shutdown_not_sock(ctx_t *c) {
    (void)c;
    errno = 0;
    int r = shutdown(1, SHUT_RDWR);
    TRUE(r == -1 && errno == ENOTSOCK, "shutdown(1): expected -1 with ENOTSOCK, got %d (errno %s)", r, ename(errno));
    return 0;
}

static int ck_stat_dev_ino(ctx_t *c) {
    RUN(create_file_with(c->dir, "file", "file\n"));
    RUN(create_file_with(c->dir, "lseek.txt", "01234567"));
    int a = open(lpath(c, "file"), O_RDONLY);
    TRUE(a != -1, "open(file): expected a descriptor (errno %s)", ename(errno));
    int b = open(lpath(c, "lseek.txt"), O_RDONLY);
    TRUE(b != -1, "open(lseek.txt): expected a descriptor (errno %s)", ename(errno));
    struct stat sa, sb;
    TRUE(fstat(a, &sa) == 0, "fstat(file): expected 0 (errno %s)", ename(errno));
    TRUE(fstat(b, &sb) == 0, "fstat(lseek.txt): expected 0 (errno %s)", ename(errno));
    close(a);
    close(b);
    EQ(sb.st_dev, sa.st_dev, "st_dev of two files in one directory");
    TRUE(sa.st_ino != sb.st_ino, "st_ino of two different files: both %" PRIu64, (uint64_t)sa.st_ino);
    OK(__wasi_path_unlink_file(c->dir, "file"), "cleanup: unlink file");
    OK(__wasi_path_unlink_file(c->dir, "lseek.txt"), "cleanup: unlink lseek.txt");
    return 0;
}

/* ======================================================================== */
/* AssemblyScript tests (tests/assemblyscript/wasm32-wasip1/src)             */

static const char *args_expected[] = {"first", "the \"second\" arg", "3"};

/* Reads argv with raw args_sizes_get/args_get and checks the size arithmetic. */
static int raw_args(char ***out_argv, __wasi_size_t *out_count) {
    __wasi_size_t count = 0, size = 0;
    OK(__wasi_args_sizes_get(&count, &size), "args_sizes_get");
    TRUE(count < 64 && size < 65536, "args_sizes_get: implausible sizes (%u, %u)", (unsigned)count, (unsigned)size);
    static char *argv[64];
    static char buf[65536];
    memset(buf, 0x7f, sizeof buf);
    OK(__wasi_args_get((uint8_t **)argv, (uint8_t *)buf), "args_get");
    __wasi_size_t total = 0;
    for (__wasi_size_t i = 0; i < count; i++) {
        TRUE(argv[i] >= buf && argv[i] < buf + size, "args_get: argv[%u] points outside the buffer", (unsigned)i);
        total += strlen(argv[i]) + 1;
    }
    EQ(size, total, "args_sizes_get buffer size vs the sum of (strlen + 1) of the strings args_get wrote");
    *out_argv = argv;
    *out_count = count;
    return 0;
}

static int check_args(ctx_t *c, int with_values) {
    char **argv;
    __wasi_size_t count;
    RUN(raw_args(&argv, &count));
    EQ(count, 5, "argc (program, check name and 3 arguments)");
    TRUE(strcmp(argv[1], c->name) == 0, "argv[1]: expected \"%s\", got \"%s\"", c->name, argv[1]);
    if (with_values)
        for (int i = 0; i < 3; i++)
            TRUE(strcmp(argv[2 + i], args_expected[i]) == 0, "argv[%d]: expected \"%s\", got \"%s\"", 2 + i,
                 args_expected[i], argv[2 + i]);
    return 0;
}

static int ck_args_get_multiple_arguments(ctx_t *c) { return check_args(c, 1); }
static int ck_args_sizes_get_multiple_arguments(ctx_t *c) { return check_args(c, 0); }

static int ck_args_sizes_get_no_arguments(ctx_t *c) {
    (void)c;
    char **argv;
    __wasi_size_t count;
    RUN(raw_args(&argv, &count));
    EQ(count, 1, "argc with no arguments (the program name only)");
    return 0;
}

static int raw_env(char ***out, __wasi_size_t *out_count) {
    __wasi_size_t count = 0, size = 0;
    OK(__wasi_environ_sizes_get(&count, &size), "environ_sizes_get");
    TRUE(count < 256 && size < 65536, "environ_sizes_get: implausible sizes (%u, %u)", (unsigned)count, (unsigned)size);
    static char *env[256];
    static char buf[65536];
    OK(__wasi_environ_get((uint8_t **)env, (uint8_t *)buf), "environ_get");
    __wasi_size_t total = 0;
    for (__wasi_size_t i = 0; i < count; i++) {
        TRUE(env[i] >= buf && env[i] < buf + size, "environ_get: environ[%u] points outside the buffer", (unsigned)i);
        total += strlen(env[i]) + 1;
    }
    EQ(size, total, "environ_sizes_get buffer size vs the sum of (strlen + 1) of the strings environ_get wrote");
    *out = env;
    *out_count = count;
    return 0;
}

static int ck_environ_get_multiple_variables(ctx_t *c) {
    (void)c;
    static const char *expected[] = {"a=text", "b=escap \" ing", "c=new\nline"};
    char **env;
    __wasi_size_t count;
    RUN(raw_env(&env, &count));
    int seen[3] = {0, 0, 0};
    for (__wasi_size_t i = 0; i < count; i++) {
        int k = -1;
        for (int j = 0; j < 3; j++)
            if (strcmp(env[i], expected[j]) == 0) k = j;
        TRUE(k >= 0 && !seen[k], "environ_get: unexpected or repeated entry \"%s\" (expected exactly a=text, "
             "b=escap \" ing, c=new\\nline)", env[i]);
        seen[k] = 1;
    }
    EQ(count, 3, "environment size");
    return 0;
}

static int ck_environ_sizes_get_multiple_variables(ctx_t *c) {
    (void)c;
    __wasi_size_t count = 0, size = 0;
    OK(__wasi_environ_sizes_get(&count, &size), "environ_sizes_get");
    EQ(count, 3, "environ_sizes_get count (a=b, b=c, c=d)");
    return 0;
}

static int ck_environ_sizes_get_no_variables(ctx_t *c) {
    (void)c;
    __wasi_size_t count = 0, size = 0;
    OK(__wasi_environ_sizes_get(&count, &size), "environ_sizes_get");
    EQ(count, 0, "environ_sizes_get count with no variables (the host environment must not leak in)");
    return 0;
}

static int ck_fd_write_to_invalid_fd(ctx_t *c) {
    (void)c;
    __wasi_size_t n;
    ERR(__wasi_fd_write((__wasi_fd_t)-31337, NULL, 0, &n), "fd_write(-31337, no iovecs)", E_(BADF));
    return 0;
}

static int ck_fd_write_to_stdout(ctx_t *c) {
    (void)c;
    __wasi_size_t n = 0;
    OK(write1(1, "hello", 5, &n), "fd_write(1, \"hello\")");
    EQ(n, 5, "fd_write(1, \"hello\") nwritten");
    (void)write1(1, "\n", 1, &n);
    return 0;
}

static int ck_random_get_zero_length(ctx_t *c) {
    (void)c;
    uint8_t buf[1];
    OK(__wasi_random_get(buf, 0), "random_get(len 0)");
    return 0;
}

static int ck_random_get_non_zero_length(ctx_t *c) {
    (void)c;
    uint8_t buf[32];
    OK(__wasi_random_get(buf, sizeof buf), "random_get(len 32)");
    return 0;
}

/* proc_exit checks print their PASS line first: the host must turn the call
 * into the run's exit code (0, and 33), which the caller checks. */
static int ck_proc_exit_success(ctx_t *c) {
    (void)c;
    emit("PASS proc_exit_success\n");
    __wasi_proc_exit(0);
}

static int ck_proc_exit_failure(ctx_t *c) {
    (void)c;
    emit("PASS proc_exit_failure\n");
    __wasi_proc_exit(33);
}

/* ======================================================================== */
/* registry and driver                                                       */

enum {
    F_FS = 1,       /* needs the preopen, a root fd and a scratch dir */
    F_SETUP = 2,    /* needs a special setup or a run of its own: not part of `all` */
    F_CONSUME = 4,  /* consumes the first preopen: runs last */
    F_ARGS = 8,     /* the rest of the command line is data for the check */
};

typedef struct {
    const char *name;
    int (*fn)(ctx_t *);
    int flags;
    const char *origin;
} check_t;

#define RS "rust/"
#define CS "c/"
#define AS "assemblyscript/"

static const check_t checks[] = {
    /* Rust */
    {"big_random_buf", ck_big_random_buf, 0, RS "big_random_buf.rs"},
    {"clock_time_get", ck_clock_time_get, 0, RS "clock_time_get.rs"},
    {"dangling_fd", ck_dangling_fd, F_FS, RS "dangling_fd.rs"},
    {"dangling_symlink", ck_dangling_symlink, F_FS, RS "dangling_symlink.rs"},
    {"dir_fd_op_failures", ck_dir_fd_op_failures, F_FS, RS "dir_fd_op_failures.rs"},
    {"directory_seek", ck_directory_seek, F_FS, RS "directory_seek.rs"},
    {"fd_advise", ck_fd_advise, F_FS, RS "fd_advise.rs"},
    {"fd_fdstat_set_rights", ck_fd_fdstat_set_rights, F_FS, RS "fd_fdstat_set_rights.rs"},
    {"fd_filestat_set", ck_fd_filestat_set, F_FS, RS "fd_filestat_set.rs"},
    {"fd_flags_set", ck_fd_flags_set, F_FS, RS "fd_flags_set.rs"},
    {"fd_readdir", ck_fd_readdir, F_FS, RS "fd_readdir.rs"},
    {"file_allocate", ck_file_allocate, F_FS, RS "file_allocate.rs"},
    {"file_pread_pwrite", ck_file_pread_pwrite, F_FS, RS "file_pread_pwrite.rs"},
    {"file_seek_tell", ck_file_seek_tell, F_FS, RS "file_seek_tell.rs"},
    {"file_truncation", ck_file_truncation, F_FS, RS "file_truncation.rs"},
    {"file_unbuffered_write", ck_file_unbuffered_write, F_FS, RS "file_unbuffered_write.rs"},
    {"fstflags_validate", ck_fstflags_validate, F_FS, RS "fstflags_validate.rs"},
    {"interesting_paths", ck_interesting_paths, F_FS, RS "interesting_paths.rs"},
    {"isatty", ck_isatty, F_FS, RS "isatty.rs"},
    {"nofollow_errors", ck_nofollow_errors, F_FS, RS "nofollow_errors.rs"},
    {"path_exists", ck_path_exists, F_FS, RS "path_exists.rs"},
    {"path_filestat", ck_path_filestat, F_FS, RS "path_filestat.rs"},
    {"path_link", ck_path_link, F_FS, RS "path_link.rs"},
    {"path_open_create_existing", ck_path_open_create_existing, F_FS, RS "path_open_create_existing.rs"},
    {"path_open_dirfd_not_dir", ck_path_open_dirfd_not_dir, F_FS, RS "path_open_dirfd_not_dir.rs"},
    {"path_open_missing", ck_path_open_missing, F_FS, RS "path_open_missing.rs"},
    {"path_open_nonblock", ck_path_open_nonblock, F_FS, RS "path_open_nonblock.rs"},
    {"path_open_preopen", ck_path_open_preopen, F_FS, RS "path_open_preopen.rs"},
    {"path_open_read_write", ck_path_open_read_write, F_FS, RS "path_open_read_write.rs"},
    {"path_rename", ck_path_rename, F_FS, RS "path_rename.rs"},
    {"path_rename_dir_trailing_slashes", ck_path_rename_dir_trailing_slashes, F_FS,
     RS "path_rename_dir_trailing_slashes.rs"},
    {"path_symlink_trailing_slashes", ck_path_symlink_trailing_slashes, F_FS, RS "path_symlink_trailing_slashes.rs"},
    {"poll_oneoff_stdio", ck_poll_oneoff_stdio, 0, RS "poll_oneoff_stdio.rs"},
    {"readlink", ck_readlink, F_FS, RS "readlink.rs"},
    {"remove_directory_trailing_slashes", ck_remove_directory_trailing_slashes, F_FS,
     RS "remove_directory_trailing_slashes.rs"},
    {"remove_nonempty_directory", ck_remove_nonempty_directory, F_FS, RS "remove_nonempty_directory.rs"},
    {"renumber", ck_renumber, F_FS, RS "renumber.rs"},
    {"sched_yield", ck_sched_yield, 0, RS "sched_yield.rs"},
    {"stdio", ck_stdio, F_FS, RS "stdio.rs"},
    {"symlink_create", ck_symlink_create, F_FS, RS "symlink_create.rs"},
    {"symlink_filestat", ck_symlink_filestat, F_FS, RS "symlink_filestat.rs"},
    {"symlink_loop", ck_symlink_loop, F_FS, RS "symlink_loop.rs"},
    {"truncation_rights", ck_truncation_rights, F_FS, RS "truncation_rights.rs"},
    {"unlink_file_trailing_slashes", ck_unlink_file_trailing_slashes, F_FS, RS "unlink_file_trailing_slashes.rs"},
    {"overwrite_preopen", ck_overwrite_preopen, F_FS | F_CONSUME, RS "overwrite_preopen.rs"},
    {"close_preopen", ck_close_preopen, F_FS | F_SETUP | F_CONSUME, RS "close_preopen.rs"},
    /* C */
    {"clock_getres_monotonic", ck_clock_getres_monotonic, 0, CS "clock_getres-monotonic.c"},
    {"clock_getres_realtime", ck_clock_getres_realtime, 0, CS "clock_getres-realtime.c"},
    {"clock_gettime_monotonic", ck_clock_gettime_monotonic, 0, CS "clock_gettime-monotonic.c"},
    {"clock_gettime_realtime", ck_clock_gettime_realtime, 0, CS "clock_gettime-realtime.c"},
    {"fdopendir_with_access", ck_fdopendir_with_access, F_FS, CS "fdopendir-with-access.c"},
    {"fopen_with_access", ck_fopen_with_access, F_FS, CS "fopen-with-access.c"},
    {"fopen_with_no_access", ck_fopen_with_no_access, F_SETUP, CS "fopen-with-no-access.c (no preopens)"},
    {"lseek", ck_lseek, F_FS, CS "lseek.c"},
    {"pread_with_access", ck_pread_with_access, F_FS, CS "pread-with-access.c"},
    {"pwrite_with_access", ck_pwrite_with_access, F_FS, CS "pwrite-with-access.c"},
    {"pwrite_with_append", ck_pwrite_with_append, F_FS, CS "pwrite-with-append.c"},
    {"sock_shutdown_invalid_fd", ck_sock_shutdown_invalid_fd, F_SETUP, CS "sock_shutdown-invalid_fd.c (no preopens)"},
    {"sock_shutdown_not_sock", ck_sock_shutdown_not_sock, 0, CS "sock_shutdown-not_sock.c"},
    {"stat_dev_ino", ck_stat_dev_ino, F_FS, CS "stat-dev-ino.c"},
    /* AssemblyScript */
    {"args_get_multiple_arguments", ck_args_get_multiple_arguments, F_SETUP | F_ARGS,
     AS "args_get-multiple-arguments.ts"},
    {"args_sizes_get_multiple_arguments", ck_args_sizes_get_multiple_arguments, F_SETUP | F_ARGS,
     AS "args_sizes_get-multiple-arguments.ts"},
    {"args_sizes_get_no_arguments", ck_args_sizes_get_no_arguments, F_SETUP, AS "args_sizes_get-no-arguments.ts"},
    {"environ_get_multiple_variables", ck_environ_get_multiple_variables, F_SETUP,
     AS "environ_get-multiple-variables.ts"},
    {"environ_sizes_get_multiple_variables", ck_environ_sizes_get_multiple_variables, F_SETUP,
     AS "environ_sizes_get-multiple-variables.ts"},
    {"environ_sizes_get_no_variables", ck_environ_sizes_get_no_variables, F_SETUP,
     AS "environ_sizes_get-no-variables.ts"},
    {"fd_write_to_invalid_fd", ck_fd_write_to_invalid_fd, 0, AS "fd_write-to-invalid-fd.ts"},
    {"fd_write_to_stdout", ck_fd_write_to_stdout, F_SETUP, AS "fd_write-to-stdout.ts"},
    {"proc_exit_success", ck_proc_exit_success, F_SETUP, AS "proc_exit-success.ts"},
    {"proc_exit_failure", ck_proc_exit_failure, F_SETUP, AS "proc_exit-failure.ts"},
    {"random_get_zero_length", ck_random_get_zero_length, 0, AS "random_get-zero-length.ts"},
    {"random_get_non_zero_length", ck_random_get_non_zero_length, 0, AS "random_get-non-zero-length.ts"},
};

#define NCHECKS ((int)(sizeof checks / sizeof *checks))

static const check_t *find_check(const char *name) {
    for (int i = 0; i < NCHECKS; i++)
        if (strcmp(checks[i].name, name) == 0) return &checks[i];
    return NULL;
}

static void report(const char *name, int failed) {
    static char line[2048];
    if (failed) {
        /* keep the report on one line */
        for (char *p = g_fail; *p; p++)
            if (*p == '\n' || *p == '\r') *p = ' ';
        snprintf(line, sizeof line, "FAIL %s: %s\n", name, g_fail);
    } else {
        snprintf(line, sizeof line, "PASS %s\n", name);
    }
    emit(line);
}

/* Runs one check with its setup and teardown; returns 1 if it failed. */
static int run_check(const check_t *check, int argc, char **argv) {
    ctx_t c;
    memset(&c, 0, sizeof c);
    c.name = check->name;
    c.argc = argc;
    c.argv = argv;
    c.pre = c.root = c.dir = (__wasi_fd_t)-1;
    g_fail[0] = 0;
    int failed = 0;
    if (check->flags & F_FS) {
        failed = find_preopen(&c) || open_root(&c) || setup_scratch(&c);
        if (failed) {
            report(check->name, 1);
            if (c.root != (__wasi_fd_t)-1) (void)__wasi_fd_close(c.root);
            return 1;
        }
    }
    failed = check->fn(&c);
    if (check->flags & F_FS) {
        if (c.dir != (__wasi_fd_t)-1) (void)__wasi_fd_close(c.dir);
        int e = __wasi_path_remove_directory(c.root, c.scratch);
        if (e != 0) {
            if (!failed) {
                snprintf(g_fail, sizeof g_fail,
                         "teardown: path_remove_directory(scratch dir): expected success, got %s (the check left "
                         "entries behind, or an unlink/remove did not take effect)",
                         ename(e));
                failed = 1;
            }
            rm_tree(c.root, c.scratch, 0);
        }
        (void)__wasi_fd_close(c.root);
    }
    report(check->name, failed);
    return failed;
}

int main(int argc, char **argv) {
    if (argc < 2) return run_check(find_check("args_sizes_get_no_arguments"), argc, argv) ? 1 : 0;
    if (strcmp(argv[1], "--list") == 0) {
        static char line[256];
        for (int i = 0; i < NCHECKS; i++) {
            snprintf(line, sizeof line, "%s\t%s%s%s\t%s\n", checks[i].name, checks[i].flags & F_FS ? "fs " : "",
                     checks[i].flags & F_SETUP ? "setup " : "", checks[i].flags & F_CONSUME ? "consumes-preopen" : "",
                     checks[i].origin);
            emit(line);
        }
        return 0;
    }
    const check_t *first = find_check(argv[1]);
    if (first && (first->flags & F_ARGS)) return run_check(first, argc, argv) ? 1 : 0;

    int failures = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "all") == 0) {
            for (int k = 0; k < NCHECKS; k++)
                if (!(checks[k].flags & (F_SETUP | F_CONSUME))) failures += run_check(&checks[k], argc, argv);
            for (int k = 0; k < NCHECKS; k++)
                if ((checks[k].flags & F_CONSUME) && !(checks[k].flags & F_SETUP))
                    failures += run_check(&checks[k], argc, argv);
            continue;
        }
        const check_t *check = find_check(argv[i]);
        if (!check) {
            snprintf(g_fail, sizeof g_fail, "unknown check (try --list)");
            report(argv[i], 1);
            failures++;
            continue;
        }
        if (check->flags & F_ARGS) {
            snprintf(g_fail, sizeof g_fail, "must be the first argument (the rest are its data)");
            report(argv[i], 1);
            failures++;
            continue;
        }
        failures += run_check(check, argc, argv);
    }
    return failures == 0 ? 0 : 1;
}
