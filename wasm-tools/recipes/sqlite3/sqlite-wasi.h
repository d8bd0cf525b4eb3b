/* Force-included into sqlite3.c. wasi-libc's fcntl has no record locks and so
 * no F_RDLCK/F_SETLK... constants; the "unix" VFS's POSIX-lock code still
 * needs them to compile (SQLite 3.41+ defines the same values for __wasi__).
 * This build's default VFS, "unix-none", never calls it; a user who picks the
 * "unix" VFS gets EINVAL from fcntl, reported as a locking I/O error. */
#include <fcntl.h>
#ifndef F_RDLCK
#define F_RDLCK 0
#define F_WRLCK 1
#define F_UNLCK 2
#define F_GETLK 12
#define F_SETLK 13
#define F_SETLKW 14
#endif
