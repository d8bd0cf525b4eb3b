/* Stubs for POSIX calls a WASI preview1 guest cannot have, shared by recipes.
 * Each fails the way POSIX allows a call to fail, so tools report a clean error:
 *   system(cmd)       no command processor: system(NULL) is 0, else -1/ENOSYS
 *   popen / pclose    no processes: NULL/ENOSYS, -1/ECHILD
 *   mkstemp(s), mkdtemp, tmpfile
 *                     real: random names (getentropy), O_CREAT|O_EXCL; tmpfile
 *                     uses $TMPDIR or /tmp, so it works when a zone is there
 *   tmpnam            NULL/ENOSYS (unsafe by design; use mkstemp)
 *   realpath          lexical: cwd + path with "." and ".." folded, must exist
 *                     (WASI preview1 cannot resolve symlinks to a full path)
 *   chmod / fchmod    WASI has no permission bits: succeed if the file exists
 *   chown / fchown    nor owners: likewise
 *   umask             022, nothing to change
 *   getpwuid/getpwnam one user, "user" (uid 0, home $HOME or /); others NULL
 *   getuid & co.      0, the owner WASI's stat reports for every file
 * All are weak, so a tool's own definition wins over a stub.
 * Compile with: $CC $CFLAGS -I$WASI_STUBS_INCLUDE -c wasi-stubs.c */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pwd.h"
#include "wasi-stubs.h"

#define WEAK __attribute__((__weak__))

WEAK int system(const char *command) {
  if (command == NULL) return 0;
  errno = ENOSYS;
  return -1;
}

WEAK FILE *popen(const char *command, const char *mode) {
  (void)command; (void)mode;
  errno = ENOSYS;
  return NULL;
}

WEAK int pclose(FILE *stream) {
  (void)stream;
  errno = ECHILD;
  return -1;
}

/* Replaces the `len` X's before the last `suffix` characters of template. */
static int fill_random(char *template, int suffix, char **xs) {
  static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  size_t n = strlen(template);
  if (suffix < 0 || (size_t)suffix + 6 > n) { errno = EINVAL; return -1; }
  char *x = template + n - suffix - 6;
  if (memcmp(x, "XXXXXX", 6) != 0) { errno = EINVAL; return -1; }
  unsigned char bytes[6];
  if (getentropy(bytes, sizeof bytes) != 0) return -1;
  for (int i = 0; i < 6; i++) x[i] = chars[bytes[i] % (sizeof chars - 1)];
  *xs = x;
  return 0;
}

WEAK int mkstemps(char *template, int suffix) {
  for (int tries = 0; tries < 100; tries++) {
    char *x;
    if (fill_random(template, suffix, &x) != 0) return -1;
    int fd = open(template, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd >= 0 || errno != EEXIST) {
      if (fd < 0) memcpy(x, "XXXXXX", 6);
      return fd;
    }
    memcpy(x, "XXXXXX", 6);
  }
  errno = EEXIST;
  return -1;
}

WEAK int mkstemp(char *template) { return mkstemps(template, 0); }

WEAK char *mkdtemp(char *template) {
  for (int tries = 0; tries < 100; tries++) {
    char *x;
    if (fill_random(template, 0, &x) != 0) return NULL;
    if (mkdir(template, 0700) == 0) return template;
    memcpy(x, "XXXXXX", 6);
    if (errno != EEXIST) return NULL;
  }
  errno = EEXIST;
  return NULL;
}

WEAK FILE *tmpfile(void) {
  const char *dir = getenv("TMPDIR");
  if (dir == NULL || *dir == '\0') dir = "/tmp";
  char path[PATH_MAX];
  if (snprintf(path, sizeof path, "%s/tmpXXXXXX", dir) >= (int)sizeof path) { errno = ENAMETOOLONG; return NULL; }
  int fd = mkstemp(path);
  if (fd < 0) return NULL;
  unlink(path); /* like tmpfile: gone when closed (best effort) */
  FILE *f = fdopen(fd, "w+");
  if (f == NULL) close(fd);
  return f;
}

WEAK char *tmpnam(char *s) {
  (void)s;
  errno = ENOSYS;
  return NULL;
}

WEAK char *realpath(const char *restrict path, char *restrict resolved) {
  if (path == NULL) { errno = EINVAL; return NULL; }
  if (*path == '\0') { errno = ENOENT; return NULL; }
  char buf[PATH_MAX];
  size_t len = 0;
  if (path[0] != '/') {
    if (getcwd(buf, sizeof buf) == NULL) return NULL;
    len = strlen(buf);
    if (len == 1) len = 0; /* "/" */
  }
  buf[len] = '\0';
  for (const char *p = path; *p;) {
    while (*p == '/') p++;
    const char *end = p;
    while (*end && *end != '/') end++;
    size_t n = (size_t)(end - p);
    if (n == 0 || (n == 1 && p[0] == '.')) {
      /* nothing */
    } else if (n == 2 && p[0] == '.' && p[1] == '.') {
      while (len > 0 && buf[len - 1] != '/') len--;
      if (len > 0) len--;
      buf[len] = '\0';
    } else {
      if (len + 1 + n + 1 > sizeof buf) { errno = ENAMETOOLONG; return NULL; }
      buf[len++] = '/';
      memcpy(buf + len, p, n);
      len += n;
      buf[len] = '\0';
    }
    p = end;
  }
  if (len == 0) { buf[0] = '/'; buf[1] = '\0'; }
  struct stat st;
  if (stat(buf, &st) != 0) return NULL;
  if (resolved == NULL) return strdup(buf);
  return strcpy(resolved, buf);
}

WEAK int chmod(const char *path, mode_t mode) {
  (void)mode;
  struct stat st;
  return stat(path, &st);
}

WEAK int fchmod(int fd, mode_t mode) {
  (void)mode;
  struct stat st;
  return fstat(fd, &st);
}

WEAK int chown(const char *path, uid_t owner, gid_t group) {
  (void)owner; (void)group;
  struct stat st;
  return stat(path, &st);
}

WEAK int fchown(int fd, uid_t owner, gid_t group) {
  (void)owner; (void)group;
  struct stat st;
  return fstat(fd, &st);
}

WEAK mode_t umask(mode_t mask) {
  (void)mask;
  return 022;
}

/* One user, the guest itself: uid 0 (see getuid), home $HOME or "/". Tools
 * that look up their home this way (for rc files) then find none quietly. */
static struct passwd *the_user(void) {
  static struct passwd pw;
  const char *home = getenv("HOME");
  pw.pw_name = (char *)"user";
  pw.pw_passwd = (char *)"x";
  pw.pw_uid = 0;
  pw.pw_gid = 0;
  pw.pw_gecos = (char *)"";
  pw.pw_dir = (char *)(home && *home ? home : "/");
  pw.pw_shell = (char *)"/bin/sh";
  return &pw;
}

WEAK struct passwd *getpwuid(uid_t uid) { return uid == 0 ? the_user() : NULL; }

WEAK struct passwd *getpwnam(const char *name) {
  return name && strcmp(name, "user") == 0 ? the_user() : NULL;
}

WEAK uid_t getuid(void) { return 0; }
WEAK uid_t geteuid(void) { return 0; }
WEAK gid_t getgid(void) { return 0; }
WEAK gid_t getegid(void) { return 0; }
