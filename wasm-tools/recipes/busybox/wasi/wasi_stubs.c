/* What wasi-libc (2022) lacks and busybox links against. WASI preview1 has
 * no processes, users, permissions, devices or terminals: those calls fail
 * with ENOSYS (or succeed as no-ops where the result cannot matter, e.g.
 * chmod/chown on a filesystem without modes or owners). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>
#include "goodbot-process.h"

#define FAIL(err) do { errno = (err); return -1; } while (0)

/* setjmp.h: longjmp(env, v) ends the program with v (see include/setjmp.h) */
_Noreturn void goodbot_longjmp_exit(int value) { exit(value & 0xff); }

/* processes: no fork, but goodbot's process interface runs a command as a
 * child and waits for it (wasm-tools/lib/process). spawn() (xargs, find
 * -exec) runs the child at once and keeps its status for waitpid(); exec*()
 * (env CMD, nohup) runs it and exits with its status, as the program
 * it would have become. */
extern char **environ;
pid_t fork(void) { FAIL(ENOSYS); }
pid_t vfork(void) { FAIL(ENOSYS); }
static pid_t last_child;
static int last_status;
static int run_child(char *const a[], char *const e[]) {
  int status;
  if (goodbot_process_run(a, e, 0, NULL, 0, &status, NULL, NULL) != 0) return -1;
  return status;
}
pid_t __wrap_spawn(char **argv) {
  int status = run_child(argv, environ);
  if (status < 0) return -1;
  last_child = last_child < 1000 ? 1000 : last_child + 1;
  last_status = status;
  return last_child;
}
/* spawn_and_wait() calls spawn() inside its own object file, which a wrap
 * may not reach: wrapped too. */
int __wrap_spawn_and_wait(char **argv) { return run_child(argv, environ); }
static _Noreturn void become(int status) { fflush(NULL); _exit(status); }
int execve(const char *p, char *const a[], char *const e[]) {
  (void)p;
  int status = run_child(a, e);
  if (status < 0) return -1;
  become(status);
}
int execv(const char *p, char *const a[]) { return execve(p, a, environ); }
int execvp(const char *p, char *const a[]) { return execve(p, a, environ); }
pid_t waitpid(pid_t p, int *s, int o) {
  (void)o;
  if (last_child == 0 || (p != -1 && p != last_child)) FAIL(ECHILD);
  if (s) *s = (last_status & 0xff) << 8; /* exited with that status */
  pid_t done = last_child;
  last_child = 0;
  return done;
}
pid_t wait(int *s) { return waitpid(-1, s, 0); }
pid_t getppid(void) { return 0; }
int kill(pid_t p, int s) { if (p == getpid() || p == 0) return raise(s); FAIL(ESRCH); }
unsigned alarm(unsigned s) { (void)s; return 0; }
int pipe(int fds[2]) { (void)fds; FAIL(ENOSYS); }
int dup(int fd) { (void)fd; FAIL(ENOSYS); }
/* Only dup2(fd, fd) can be honoured; busybox's xmove_fd() uses
 * fd_renumber instead (patches/xmove-fd-renumber.patch). */
int dup2(int from, int to) { if (from == to) return to; FAIL(ENOSYS); }
FILE *popen(const char *c, const char *m) { (void)c; (void)m; errno = ENOSYS; return NULL; }
int pclose(FILE *f) { (void)f; FAIL(ECHILD); }
int system(const char *c) { if (!c) return 0; errno = ENOSYS; return -1; }
void sync(void) {}
int getpagesize(void) { return (int)sysconf(_SC_PAGESIZE); }

/* users: WASI files have no owners; report uid/gid 0 everywhere */
uid_t getuid(void) { return 0; }
uid_t geteuid(void) { return 0; }
gid_t getgid(void) { return 0; }
gid_t getegid(void) { return 0; }
int getgroups(int n, gid_t l[]) { (void)n; (void)l; return 0; }
int chown(const char *p, uid_t u, gid_t g) { (void)u; (void)g; return access(p, F_OK); }
int lchown(const char *p, uid_t u, gid_t g) { (void)u; (void)g; struct stat st; return lstat(p, &st); }
int fchown(int fd, uid_t u, gid_t g) { (void)u; (void)g; struct stat st; return fstat(fd, &st); }

/* permissions: WASI has no modes; chmod checks the file exists, then no-op */
static mode_t current_umask = 022;
mode_t umask(mode_t m) { mode_t old = current_umask; current_umask = m & 0777; return old; }
int chmod(const char *p, mode_t m) { (void)m; return access(p, F_OK); }
int fchmod(int fd, mode_t m) { (void)m; struct stat st; return fstat(fd, &st); }
int fchmodat(int d, const char *p, mode_t m, int f) { (void)m; struct stat st; return fstatat(d, p, &st, f); }
int lchmod(const char *p, mode_t m) { (void)m; struct stat st; return lstat(p, &st); }
int mknod(const char *p, mode_t m, dev_t d) { (void)p; (void)m; (void)d; FAIL(EPERM); }
int mkfifo(const char *p, mode_t m) { (void)p; (void)m; FAIL(EPERM); }
int clock_settime(clockid_t c, const struct timespec *t) { (void)c; (void)t; FAIL(EPERM); }

/* wasi-libc reports only the file type in st_mode, and WASI has no block
 * counts. Show ordinary permissions (0755 for directories, 0644 otherwise)
 * so `ls -l`, `stat` and `find -perm` print what a user expects, and blocks
 * from the size so `du` is not always 0; linked with -Wl,--wrap=stat etc. */
int __real_stat(const char *, struct stat *);
int __real_lstat(const char *, struct stat *);
int __real_fstat(int, struct stat *);
int __real_fstatat(int, const char *, struct stat *, int);
static int with_modes(int rc, struct stat *st) {
  if (rc == 0 && (st->st_mode & 07777) == 0)
    st->st_mode |= S_ISDIR(st->st_mode) ? 0755 : S_ISLNK(st->st_mode) ? 0777 : 0644;
  if (rc == 0 && st->st_blocks == 0 && st->st_size > 0)
    st->st_blocks = (st->st_size + 511) / 512;
  return rc;
}
int __wrap_stat(const char *p, struct stat *st) { return with_modes(__real_stat(p, st), st); }
int __wrap_lstat(const char *p, struct stat *st) { return with_modes(__real_lstat(p, st), st); }
int __wrap_fstat(int fd, struct stat *st) { return with_modes(__real_fstat(fd, st), st); }
int __wrap_fstatat(int d, const char *p, struct stat *st, int f) { return with_modes(__real_fstatat(d, p, st, f), st); }

/* signals on top of libwasi-emulated-signal's signal()/raise() */
int sigemptyset(sigset_t *s) { memset(s, 0, sizeof(*s)); return 0; }
int sigfillset(sigset_t *s) { memset(s, 0xff, sizeof(*s)); return 0; }
static int sig_ok(int n) { return n > 0 && (unsigned)n < 8 * sizeof(sigset_t); }
int sigaddset(sigset_t *s, int n) { if (!sig_ok(n)) FAIL(EINVAL); ((unsigned char *)s)[(n - 1) / 8] |= 1u << ((n - 1) % 8); return 0; }
int sigdelset(sigset_t *s, int n) { if (!sig_ok(n)) FAIL(EINVAL); ((unsigned char *)s)[(n - 1) / 8] &= ~(1u << ((n - 1) % 8)); return 0; }
int sigismember(const sigset_t *s, int n) { if (!sig_ok(n)) FAIL(EINVAL); return (((const unsigned char *)s)[(n - 1) / 8] >> ((n - 1) % 8)) & 1; }
int sigprocmask(int h, const sigset_t *s, sigset_t *o) { (void)h; (void)s; if (o) sigemptyset(o); return 0; }
int sigsuspend(const sigset_t *s) { (void)s; FAIL(EINTR); }
int sigaction(int n, const struct sigaction *act, struct sigaction *old) {
  void (*prev)(int) = SIG_DFL;
  if (act) {
    prev = signal(n, act->sa_handler);
    if (prev == SIG_ERR) return -1;
  }
  if (old) {
    memset(old, 0, sizeof(*old));
    if (!act) { prev = signal(n, SIG_DFL); if (prev != SIG_ERR) signal(n, prev); else prev = SIG_DFL; }
    old->sa_handler = prev;
  }
  return 0;
}

/* terminals: none */
int tcgetattr(int fd, struct termios *t) { (void)fd; (void)t; FAIL(ENOTTY); }
int tcsetattr(int fd, int a, const struct termios *t) { (void)fd; (void)a; (void)t; FAIL(ENOTTY); }
char *ttyname(int fd) { (void)fd; errno = ENOTTY; return NULL; }

/* temporary files: O_EXCL creation with random names */
static int fill_template(char *tmpl, size_t suffix) {
  size_t len = strlen(tmpl);
  static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  if (len < 6 + suffix || memcmp(tmpl + len - suffix - 6, "XXXXXX", 6) != 0) FAIL(EINVAL);
  unsigned char rnd[6];
  if (getentropy(rnd, sizeof rnd) != 0) return -1;
  for (int i = 0; i < 6; i++) tmpl[len - suffix - 6 + i] = chars[rnd[i] % (sizeof chars - 1)];
  return 0;
}
int mkstemp(char *tmpl) {
  for (int tries = 0; tries < 100; tries++) {
    if (fill_template(tmpl, 0) != 0) return -1;
    int fd = open(tmpl, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  FAIL(EEXIST);
}
char *mktemp(char *tmpl) {
  struct stat st;
  for (int tries = 0; tries < 100; tries++) {
    if (fill_template(tmpl, 0) != 0) { tmpl[0] = 0; return tmpl; }
    if (lstat(tmpl, &st) != 0 && errno == ENOENT) return tmpl;
  }
  tmpl[0] = 0;
  return tmpl;
}

/* realpath: make absolute against getcwd(), resolve "." "..", and symlinks */
char *realpath(const char *path, char *resolved) {
  char out[PATH_MAX], rest[PATH_MAX], link[PATH_MAX];
  int links = 0;
  if (!path) { errno = EINVAL; return NULL; }
  if (!*path) { errno = ENOENT; return NULL; }
  if (strlen(path) >= sizeof rest) { errno = ENAMETOOLONG; return NULL; }
  strcpy(rest, path);
  if (rest[0] == '/') strcpy(out, "/");
  else if (!getcwd(out, sizeof out)) return NULL;
  char *p = rest;
  while (*p) {
    while (*p == '/') p++;
    if (!*p) break;
    char *end = strchr(p, '/');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (n == 1 && p[0] == '.') { p += n; continue; }
    if (n == 2 && p[0] == '.' && p[1] == '.') {
      char *slash = strrchr(out, '/');
      if (slash == out) out[1] = 0; else *slash = 0;
      p += n;
      continue;
    }
    size_t ol = strlen(out);
    if (ol + 1 + n >= sizeof out) { errno = ENAMETOOLONG; return NULL; }
    if (out[ol - 1] != '/') out[ol++] = '/';
    memcpy(out + ol, p, n);
    out[ol + n] = 0;
    p += n;
    struct stat st;
    if (lstat(out, &st) != 0) return NULL;
    if (S_ISLNK(st.st_mode)) {
      if (++links > 40) { errno = ELOOP; return NULL; }
      ssize_t ll = readlink(out, link, sizeof link - 1);
      if (ll < 0) return NULL;
      link[ll] = 0;
      if (ll + 1 + strlen(p) >= sizeof link) { errno = ENAMETOOLONG; return NULL; }
      strcat(link, p);
      strcpy(rest, link);
      p = rest;
      if (link[0] == '/') strcpy(out, "/");
      else { char *slash = strrchr(out, '/'); if (slash == out) out[1] = 0; else *slash = 0; }
    } else if (*p && !S_ISDIR(st.st_mode)) {
      errno = ENOTDIR;
      return NULL;
    }
  }
  if (!resolved) return strdup(out);
  return strcpy(resolved, out);
}

/* wasi-libc 2022's utimensat/futimens fail with EINVAL when times[] holds
 * UTIME_NOW or UTIME_OMIT (only a NULL array works). Replace NOW by the
 * clock and OMIT by the file's current time, so the call only ever gets
 * plain times. Linked with -Wl,--wrap=utimensat,--wrap=futimens. */
int __real_utimensat(int, const char *, const struct timespec[2], int);
int __real_futimens(int, const struct timespec[2]);
static int plain_times(const struct timespec in[2], struct timespec out[2],
                       int fd, const char *path, int flags) {
  struct timespec now;
  struct stat st;
  int have_st = 0;
  clock_gettime(CLOCK_REALTIME, &now);
  for (int i = 0; i < 2; i++) {
    if (in[i].tv_nsec == UTIME_NOW) { out[i] = now; continue; }
    if (in[i].tv_nsec != UTIME_OMIT) { out[i] = in[i]; continue; }
    if (!have_st) {
      if ((path ? fstatat(fd, path, &st, flags) : fstat(fd, &st)) != 0) return -1;
      have_st = 1;
    }
    out[i] = i == 0 ? st.st_atim : st.st_mtim;
  }
  return 0;
}
int __wrap_utimensat(int dir, const char *path, const struct timespec times[2], int flags) {
  struct timespec buf[2];
  if (!times || (times[0].tv_nsec == UTIME_NOW && times[1].tv_nsec == UTIME_NOW))
    return __real_utimensat(dir, path, NULL, flags);
  if (plain_times(times, buf, dir, path, flags) != 0) return -1;
  return __real_utimensat(dir, path, buf, flags);
}
int __wrap_futimens(int fd, const struct timespec times[2]) {
  struct timespec buf[2];
  if (!times || (times[0].tv_nsec == UTIME_NOW && times[1].tv_nsec == UTIME_NOW))
    return __real_futimens(fd, NULL);
  if (plain_times(times, buf, fd, NULL, 0) != 0) return -1;
  return __real_futimens(fd, buf);
}
