/* Declarations of POSIX calls that wasi-libc (2022) hides or lacks, for the
 * stubs in ../src/wasi-stubs.c. Use with `-include wasi-stubs.h` (and
 * -I$WASI_STUBS_INCLUDE) so unmodified sources see prototypes, then link
 * wasi-stubs.c. What each does in WASI is documented there. */
#ifndef GOODBOT_WASI_STUBS_H
#define GOODBOT_WASI_STUBS_H
#include <stdio.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

FILE *popen(const char *command, const char *mode);
int pclose(FILE *stream);
int chmod(const char *path, mode_t mode);
int fchmod(int fd, mode_t mode);
int chown(const char *path, uid_t owner, gid_t group);
int fchown(int fd, uid_t owner, gid_t group);
mode_t umask(mode_t mask);
char *realpath(const char *__restrict path, char *__restrict resolved);
uid_t getuid(void);
uid_t geteuid(void);
gid_t getgid(void);
gid_t getegid(void);

#ifdef __cplusplus
}
#endif
#endif
