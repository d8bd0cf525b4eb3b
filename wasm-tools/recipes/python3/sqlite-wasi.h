/* Forced-included (-include) when compiling the sqlite3 amalgamation for WASI.
 * sqlite 3.40 predates its own __wasi__ support and wasi-libc (2022) has no
 * POSIX advisory locks, fchmod, fchown or geteuid. The lock constants only have
 * to exist: the build selects the "unix-none" VFS, so no lock is ever taken
 * (a sandboxed guest is the only process touching its databases). */
#include <fcntl.h>
#include <sys/types.h>
#ifndef F_RDLCK
# define F_RDLCK 0
# define F_WRLCK 1
# define F_UNLCK 2
# define F_GETLK 5
# define F_SETLK 6
# define F_SETLKW 7
#endif
static int fchmod(int fd, mode_t mode) { (void)fd; (void)mode; return 0; }
static int fchown(int fd, uid_t uid, gid_t gid) { (void)fd; (void)uid; (void)gid; return 0; }
static uid_t geteuid(void) { return 1000; }
