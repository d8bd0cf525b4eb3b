/*
 * probe: a guest that tries things and reports what happened, one line per
 * command, so that the policy tests can attack the sandbox from the inside.
 *
 *   probe CMD ARGS... [';' CMD ARGS...]...
 *
 * Each command prints "<cmd>: ok [detail]" or "<cmd>: E<NAME>" (the WASI
 * errno name). See usage() for the commands.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

#include "errno-names.h"

extern char **environ;

static const char *errname(int e) {
    if (e >= 0 && e < ERRNO_NAME_COUNT) return errno_names[e];
    return "UNKNOWN";
}

static int fail(const char *cmd, int e) {
    printf("%s: E%s\n", cmd, errname(e));
    return 1;
}

static int ok(const char *cmd, const char *detail) {
    if (detail && *detail) printf("%s: ok %s\n", cmd, detail);
    else printf("%s: ok\n", cmd);
    return 0;
}

/* Prints up to 200 bytes of a file, newlines shown as '|'. */
static int cmd_read(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return fail("read", errno);
    char buf[201];
    ssize_t n = read(fd, buf, 200);
    int e = errno;
    close(fd);
    if (n < 0) return fail("read", e);
    buf[n] = 0;
    for (ssize_t i = 0; i < n; i++) if (buf[i] == '\n') buf[i] = '|';
    return ok("read", buf);
}

static int cmd_cat(const char *path) {
    int fd = path ? open(path, O_RDONLY) : 0;
    if (fd < 0) return fail("cat", errno);
    static char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0) return fail("cat", errno);
        if (n == 0) break;
        if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n) return fail("cat", errno);
    }
    if (fd) close(fd);
    return 0;
}

static int cmd_write(const char *cmd, const char *path, const char *text, int flags) {
    int fd = open(path, flags, 0644);
    if (fd < 0) return fail(cmd, errno);
    size_t len = strlen(text);
    ssize_t n = write(fd, text, len);
    int e = errno;
    close(fd);
    if (n < 0) return fail(cmd, e);
    if ((size_t)n != len) return fail(cmd, EIO);
    return ok(cmd, NULL);
}

/* Writes BYTES bytes of 'x' in 64 KiB chunks; reports how far it got. */
static int cmd_fill(const char *path, const char *bytes) {
    long long want = atoll(bytes), done = 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return fail("fill", errno);
    static char chunk[65536];
    memset(chunk, 'x', sizeof chunk);
    while (done < want) {
        size_t len = (size_t)(want - done < (long long)sizeof chunk ? want - done : (long long)sizeof chunk);
        ssize_t n = write(fd, chunk, len);
        if (n < 0) {
            int e = errno;
            close(fd);
            printf("fill: E%s after %lld\n", errname(e), done);
            return 1;
        }
        done += n;
    }
    close(fd);
    printf("fill: ok %lld\n", done);
    return 0;
}

static int cmd_copy(const char *from, const char *to) {
    int in = open(from, O_RDONLY);
    if (in < 0) return fail("copy", errno);
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0) return fail("copy", errno);
    static char buf[1 << 20];
    long long total = 0;
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0) return fail("copy", errno);
        if (n == 0) break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0) return fail("copy", errno);
            off += w;
        }
        total += n;
    }
    close(in);
    close(out);
    printf("copy: ok %lld\n", total);
    return 0;
}

static int cmd_ftruncate(const char *path, const char *size) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return fail("ftruncate", errno);
    int r = ftruncate(fd, atoll(size));
    int e = errno;
    close(fd);
    return r < 0 ? fail("ftruncate", e) : ok("ftruncate", NULL);
}

static int cmd_ls(const char *path) {
    DIR *d = opendir(path);
    if (!d) return fail("ls", errno);
    char names[8192] = "";
    struct dirent *ent;
    char *list[512];
    int count = 0;
    while ((ent = readdir(d)) && count < 512) {
        if (!strcmp(ent->d_name, ".") || !strcmp(ent->d_name, "..")) continue;
        list[count++] = strdup(ent->d_name);
    }
    closedir(d);
    for (int i = 0; i < count; i++)
        for (int j = i + 1; j < count; j++)
            if (strcmp(list[j], list[i]) < 0) { char *t = list[i]; list[i] = list[j]; list[j] = t; }
    for (int i = 0; i < count; i++) {
        if (i) strncat(names, ",", sizeof names - strlen(names) - 1);
        strncat(names, list[i], sizeof names - strlen(names) - 1);
        free(list[i]);
    }
    return ok("ls", names);
}

static const char *type_name(mode_t mode) {
    if (S_ISREG(mode)) return "file";
    if (S_ISDIR(mode)) return "dir";
    if (S_ISLNK(mode)) return "symlink";
    if (S_ISCHR(mode)) return "chardev";
    if (S_ISBLK(mode)) return "blockdev";
    if (S_ISFIFO(mode)) return "fifo-or-socket";
    return "unknown";
}

static int cmd_stat(const char *cmd, const char *path, int follow) {
    struct stat st;
    int r = follow ? stat(path, &st) : lstat(path, &st);
    if (r < 0) return fail(cmd, errno);
    char detail[128];
    snprintf(detail, sizeof detail, "%s size=%lld nlink=%llu", type_name(st.st_mode), (long long)st.st_size,
             (unsigned long long)st.st_nlink);
    return ok(cmd, detail);
}

/* Lists every fd 0..1023 that the host answers fd_fdstat_get for. */
static int cmd_fdscan(void) {
    char detail[1024] = "";
    for (__wasi_fd_t fd = 0; fd < 1024; fd++) {
        __wasi_fdstat_t st;
        if (__wasi_fd_fdstat_get(fd, &st) != 0) continue;
        char item[32];
        snprintf(item, sizeof item, "%s%u", *detail ? "," : "", fd);
        strncat(detail, item, sizeof detail - strlen(detail) - 1);
    }
    return ok("fdscan", detail);
}

/* path_open straight on a preopen fd, bypassing wasi-libc's path handling. */
static int cmd_rawopen(const char *fdtext, const char *path, int follow, int write) {
    __wasi_fd_t fd;
    __wasi_rights_t rights = __WASI_RIGHTS_FD_READ | (write ? __WASI_RIGHTS_FD_WRITE : 0);
    __wasi_errno_t e = __wasi_path_open((__wasi_fd_t)atoi(fdtext), follow ? __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW : 0,
                                        path, 0, rights, rights, 0, &fd);
    if (e) return fail("rawopen", e);
    char buf[201];
    size_t n = 0;
    __wasi_iovec_t iov = {(uint8_t *)buf, 200};
    e = __wasi_fd_read(fd, &iov, 1, &n);
    (void)__wasi_fd_close(fd);
    if (e) return fail("rawopen", e);
    buf[n] = 0;
    for (size_t i = 0; i < n; i++) if (buf[i] == '\n') buf[i] = '|';
    return ok("rawopen", buf);
}

/* Opens and reads PATH N times: counts successes, failures and reads of "SECRET". */
static int cmd_openloop(const char *path, const char *times) {
    long n = atol(times), okc = 0, errc = 0, secret = 0;
    for (long i = 0; i < n; i++) {
        int fd = open(path, O_RDONLY);
        if (fd < 0) { errc++; continue; }
        char buf[16] = {0};
        ssize_t r = read(fd, buf, 6);
        close(fd);
        if (r < 0) { errc++; continue; }
        okc++;
        if (r == 6 && !memcmp(buf, "SECRET", 6)) secret++;
    }
    printf("openloop: ok=%ld err=%ld secret=%ld\n", okc, errc, secret);
    return 0;
}

static int cmd_utimes(const char *path, int follow) {
    struct timespec times[2] = {{1000000000, 123456789}, {1200000000, 987654321}};
    int r = utimensat(AT_FDCWD, path, times, follow ? 0 : AT_SYMLINK_NOFOLLOW);
    if (r < 0) return fail("utimes", errno);
    struct stat st;
    if ((follow ? stat(path, &st) : lstat(path, &st)) < 0) return fail("utimes", errno);
    char detail[64];
    snprintf(detail, sizeof detail, "mtime=%lld.%09ld", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    return ok("utimes", detail);
}

static int cmd_futimes(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return fail("futimes", errno);
    struct timespec times[2] = {{1000000000, 0}, {1000000000, 0}};
    int r = futimens(fd, times);
    int e = errno;
    close(fd);
    return r < 0 ? fail("futimes", e) : ok("futimes", NULL);
}

static int cmd_readlink(const char *path) {
    char buf[512];
    ssize_t n = readlink(path, buf, sizeof buf - 1);
    if (n < 0) return fail("readlink", errno);
    buf[n] = 0;
    return ok("readlink", buf);
}

static int cmd_env(void) {
    for (char **e = environ; *e; e++) printf("env: %s\n", *e);
    return 0;
}

static int (*volatile recurse_ptr)(int);
static int recurse(int n) { return recurse_ptr(n + 1) + 1; }

static int cmd_trap(const char *kind) {
    fflush(stdout);
    if (!strcmp(kind, "unreachable")) __builtin_trap();
    if (!strcmp(kind, "oob")) { *(volatile int *)0xFFFFFFF0u = 1; }
    if (!strcmp(kind, "stack")) { recurse_ptr = recurse; return recurse(0); }
    if (!strcmp(kind, "div0")) { volatile int seven = 7, zero = 0; return seven / zero; }
    return fail("trap", EINVAL);
}

/* Opens PATH and leaves it open, so the host must close it when the run ends. */
static int cmd_hold(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return fail("hold", errno);
    char detail[16];
    snprintf(detail, sizeof detail, "%d", fd);
    return ok("hold", detail);
}

/* Opens PATH N times without closing: reports how many opens succeeded and the first error. */
static int cmd_openmany(const char *path, const char *times) {
    long n = atol(times), opened = 0;
    int first_error = 0;
    for (long i = 0; i < n; i++) {
        if (open(path, O_RDONLY) < 0) { first_error = errno; break; }
        opened++;
    }
    if (first_error) { printf("openmany: %ld E%s\n", opened, errname(first_error)); return 1; }
    printf("openmany: ok %ld\n", opened);
    return 0;
}

/* Makes N entries PREFIX0..PREFIXn-1 of KIND (dir | file | symlink to TARGET): reports how many were made and the first error. */
static int cmd_makemany(const char *kind, const char *prefix, const char *times, const char *target) {
    long n = atol(times), made = 0;
    int first_error = 0;
    char path[1024];
    for (long i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s%ld", prefix, i);
        int r;
        if (!strcmp(kind, "dir")) r = mkdir(path, 0755);
        else if (!strcmp(kind, "symlink")) r = symlink(target, path);
        else { r = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644); if (r >= 0) r = close(r); }
        if (r < 0) { first_error = errno; break; }
        made++;
    }
    if (first_error) { printf("makemany: %ld E%s\n", made, errname(first_error)); return 1; }
    printf("makemany: ok %ld\n", made);
    return 0;
}

/* A directory fd kept across commands: `opendir P` opens it, `symlinkat TARGET NAME` and `writeat NAME TEXT` use it. */
static int saved_dir = -1;

static int cmd_opendir(const char *path) {
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return fail("opendir", errno);
    saved_dir = fd;
    return ok("opendir", NULL);
}

static int cmd_symlinkat(const char *target, const char *name) {
    if (symlinkat(target, saved_dir, name) < 0) return fail("symlinkat", errno);
    return ok("symlinkat", NULL);
}

static int cmd_sleep(const char *ms) {
    struct timespec t = {atol(ms) / 1000, (atol(ms) % 1000) * 1000000L};
    if (nanosleep(&t, NULL) < 0) return fail("sleep", errno);
    return ok("sleep", NULL);
}

/* Misbehaving guests for the limits: spin forever, count to N (a known amount
 * of work), allocate until malloc fails, print without end. */
static int cmd_spin(void) {
    fflush(stdout);
    for (volatile unsigned long i = 0;; i++) {}
}

static int cmd_count(const char *n) {
    volatile unsigned long sum = 0;
    for (unsigned long i = 0, end = strtoul(n, NULL, 10); i < end; i++) sum += i;
    char detail[32];
    snprintf(detail, sizeof detail, "%lu", (unsigned long)sum);
    return ok("count", detail);
}

static void *volatile bomb_chain; /* keeps every block reachable, so the compiler cannot drop the mallocs */

static int cmd_mallocbomb(void) {
    unsigned long mib = 0;
    for (;;) {
        char *block = malloc(1 << 20);
        if (!block) break;
        memset(block, 1, 1 << 20); /* touch it: the memory is really used */
        *(void **)block = bomb_chain;
        bomb_chain = block;
        mib++;
    }
    printf("mallocbomb: malloc failed after %lu MiB\n", mib);
    fflush(stdout);
    __builtin_trap(); /* what a C program does when it cannot go on */
}

static int cmd_flood(void) {
    static char line[4096];
    memset(line, 'y', sizeof line - 1);
    line[sizeof line - 1] = '\n';
    for (;;) {
        if (fwrite(line, 1, sizeof line, stdout) != sizeof line) return fail("flood", errno);
    }
}

static void usage(void) {
    fprintf(stderr,
            "usage: probe CMD ARGS... [';' CMD ARGS...]\n"
            "  read P | cat [P] | write P TEXT | append P TEXT | create P | trunc P | ftruncate P N\n"
            "  fill P BYTES | copy FROM TO | unlink P | mkdir P | rmdir P | rename A B | link A B\n"
            "  symlink TARGET P | readlink P | stat P | lstat P | ls P | utimes P | lutimes P\n"
            "  futimes P | fdscan | env | args | rawopen FD P | rawopen-nofollow FD P\n"
            "  rawwrite FD P | openloop P N | hold P | sleep MS | exit N | trap unreachable|oob|stack|div0\n"
            "  spin | count N | mallocbomb | flood | openmany P N | makemany dir|file|symlink PREFIX N [TARGET]\n"
            "  opendir P | symlinkat TARGET NAME (relative to the last opendir)\n");
}

static int run(int argc, char **argv) {
    const char *c = argv[0];
#define NEED(n) if (argc < (n) + 1) { usage(); return 2; }
    if (!strcmp(c, "read")) { NEED(1) return cmd_read(argv[1]); }
    if (!strcmp(c, "cat")) return cmd_cat(argc > 1 ? argv[1] : NULL);
    if (!strcmp(c, "write")) { NEED(2) return cmd_write("write", argv[1], argv[2], O_WRONLY | O_CREAT | O_TRUNC); }
    if (!strcmp(c, "append")) { NEED(2) return cmd_write("append", argv[1], argv[2], O_WRONLY | O_CREAT | O_APPEND); }
    if (!strcmp(c, "create")) { NEED(1) return cmd_write("create", argv[1], "", O_WRONLY | O_CREAT | O_EXCL); }
    if (!strcmp(c, "trunc")) { NEED(1) return cmd_write("trunc", argv[1], "", O_WRONLY | O_TRUNC); }
    if (!strcmp(c, "ftruncate")) { NEED(2) return cmd_ftruncate(argv[1], argv[2]); }
    if (!strcmp(c, "fill")) { NEED(2) return cmd_fill(argv[1], argv[2]); }
    if (!strcmp(c, "copy")) { NEED(2) return cmd_copy(argv[1], argv[2]); }
    if (!strcmp(c, "unlink")) { NEED(1) return unlink(argv[1]) < 0 ? fail(c, errno) : ok(c, NULL); }
    if (!strcmp(c, "mkdir")) { NEED(1) return mkdir(argv[1], 0755) < 0 ? fail(c, errno) : ok(c, NULL); }
    if (!strcmp(c, "rmdir")) { NEED(1) return rmdir(argv[1]) < 0 ? fail(c, errno) : ok(c, NULL); }
    if (!strcmp(c, "rename")) { NEED(2) return rename(argv[1], argv[2]) < 0 ? fail(c, errno) : ok(c, NULL); }
    if (!strcmp(c, "link")) { NEED(2) return link(argv[1], argv[2]) < 0 ? fail(c, errno) : ok(c, NULL); }
    if (!strcmp(c, "symlink")) { NEED(2) return symlink(argv[1], argv[2]) < 0 ? fail(c, errno) : ok(c, NULL); }
    if (!strcmp(c, "readlink")) { NEED(1) return cmd_readlink(argv[1]); }
    if (!strcmp(c, "stat")) { NEED(1) return cmd_stat(c, argv[1], 1); }
    if (!strcmp(c, "lstat")) { NEED(1) return cmd_stat(c, argv[1], 0); }
    if (!strcmp(c, "ls")) { NEED(1) return cmd_ls(argv[1]); }
    if (!strcmp(c, "utimes")) { NEED(1) return cmd_utimes(argv[1], 1); }
    if (!strcmp(c, "lutimes")) { NEED(1) return cmd_utimes(argv[1], 0); }
    if (!strcmp(c, "futimes")) { NEED(1) return cmd_futimes(argv[1]); }
    if (!strcmp(c, "fdscan")) return cmd_fdscan();
    if (!strcmp(c, "env")) return cmd_env();
    if (!strcmp(c, "rawopen")) { NEED(2) return cmd_rawopen(argv[1], argv[2], 1, 0); }
    if (!strcmp(c, "rawopen-nofollow")) { NEED(2) return cmd_rawopen(argv[1], argv[2], 0, 0); }
    if (!strcmp(c, "rawwrite")) { NEED(2) return cmd_rawopen(argv[1], argv[2], 1, 1); }
    if (!strcmp(c, "openloop")) { NEED(2) return cmd_openloop(argv[1], argv[2]); }
    if (!strcmp(c, "sleep")) { NEED(1) return cmd_sleep(argv[1]); }
    if (!strcmp(c, "hold")) { NEED(1) return cmd_hold(argv[1]); }
    if (!strcmp(c, "exit")) { NEED(1) fflush(stdout); exit(atoi(argv[1])); }
    if (!strcmp(c, "trap")) { NEED(1) return cmd_trap(argv[1]); }
    if (!strcmp(c, "spin")) return cmd_spin();
    if (!strcmp(c, "count")) { NEED(1) return cmd_count(argv[1]); }
    if (!strcmp(c, "mallocbomb")) return cmd_mallocbomb();
    if (!strcmp(c, "flood")) return cmd_flood();
    if (!strcmp(c, "openmany")) { NEED(2) return cmd_openmany(argv[1], argv[2]); }
    if (!strcmp(c, "makemany")) { NEED(3) return cmd_makemany(argv[1], argv[2], argv[3], argc > 4 ? argv[4] : "x"); }
    if (!strcmp(c, "opendir")) { NEED(1) return cmd_opendir(argv[1]); }
    if (!strcmp(c, "symlinkat")) { NEED(2) return cmd_symlinkat(argv[1], argv[2]); }
    usage();
    return 2;
}

int main(int argc, char **argv) {
    if (argc < 2) { usage(); return 2; }
    if (!strcmp(argv[1], "args")) {
        for (int i = 0; i < argc; i++) printf("arg: %s\n", argv[i]);
        return 0;
    }
    int status = 0;
    for (int start = 1; start < argc;) {
        int end = start;
        while (end < argc && strcmp(argv[end], ";")) end++;
        if (end > start) status |= run(end - start, argv + start) == 2 ? 2 : 0;
        fflush(stdout);
        start = end + 1;
    }
    return status;
}
