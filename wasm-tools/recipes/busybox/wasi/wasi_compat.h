/* Force-included (-include) into every busybox file built for WASI preview1.
 * Declares what wasi-libc (2022) leaves out: processes, users, permissions,
 * terminals. Whatever busybox actually links is defined in wasi_stubs.c
 * (most fail with ENOSYS or report a fixed identity, so applets degrade
 * cleanly); the rest are declarations only, so that files busybox compiles
 * but does not link still compile, and a new use fails the link loudly. */
#ifndef GOODBOT_WASI_COMPAT_H
#define GOODBOT_WASI_COMPAT_H
#include <sys/types.h>
#include <sys/stat.h>
#include <stddef.h>
/* busybox builds as gnu99, where clang's <stddef.h> hides max_align_t, but
 * wasi-libc's socket structs need it. */
#include <__stddef_max_align_t.h>
#include <sys/socket.h>
/* socket types libbb.h names in an enum (no such sockets in WASI) */
#ifndef SOCK_RAW
# define SOCK_RAW 3
#endif
#ifndef SOCK_RDM
# define SOCK_RDM 4
#endif
#ifndef SOCK_SEQPACKET
# define SOCK_SEQPACKET 5
#endif

/* processes: none in WASI */
pid_t fork(void);
pid_t vfork(void);
int execv(const char *, char *const[]);
int execvp(const char *, char *const[]);
int execve(const char *, char *const[], char *const[]);
int execl(const char *, const char *, ...);
int execlp(const char *, const char *, ...);
pid_t getppid(void);
pid_t setsid(void);
pid_t getpgrp(void);
int setpgid(pid_t, pid_t);
pid_t tcgetpgrp(int);
int tcsetpgrp(int, pid_t);
int kill(pid_t, int);
unsigned alarm(unsigned);
int pipe(int[2]);
int dup(int);
int dup2(int, int);
int nice(int);
void sync(void);
int fchdir(int);
char *ttyname(int);
int daemon(int, int);
int setpriority(int, id_t, int);
int getpriority(int, id_t);

/* users and permissions: WASI has neither; we are uid 0 */
uid_t getuid(void);
uid_t geteuid(void);
gid_t getgid(void);
gid_t getegid(void);
int getgroups(int, gid_t[]);
int setuid(uid_t);
int seteuid(uid_t);
int setgid(gid_t);
int setegid(gid_t);
int setgroups(size_t, const gid_t *);
int initgroups(const char *, gid_t);
int setreuid(uid_t, uid_t);
int setregid(gid_t, gid_t);
int setresuid(uid_t, uid_t, uid_t);
int setresgid(gid_t, gid_t, gid_t);
int chown(const char *, uid_t, gid_t);
int lchown(const char *, uid_t, gid_t);
int fchown(int, uid_t, gid_t);
int chroot(const char *);
int chmod(const char *, mode_t);
int fchmod(int, mode_t);
int fchmodat(int, const char *, mode_t, int);
int lchmod(const char *, mode_t);
mode_t umask(mode_t);
int mkfifo(const char *, mode_t);
int mknod(const char *, mode_t, dev_t);

/* files */
#include <stdio.h>
#include <time.h>
FILE *popen(const char *, const char *);
int pclose(FILE *);
int clock_settime(clockid_t, const struct timespec *);
char *realpath(const char *, char *);
int mkstemp(char *);
char *mkdtemp(char *);
char *mktemp(char *);
int getpagesize(void);
int gethostname(char *, size_t);
int sethostname(const char *, size_t);

/* signals: libwasi-emulated-signal has signal() and raise(); add the
 * sigaction/sigset API on top of it (no masks: nothing is asynchronous) */
#include <signal.h>
#ifndef SIG_BLOCK
# define SIG_BLOCK 0
# define SIG_UNBLOCK 1
# define SIG_SETMASK 2
#endif
#define SA_NOCLDSTOP 1
#define SA_NOCLDWAIT 2
#define SA_SIGINFO 4
#define SA_ONSTACK 0x08000000
#define SA_RESTART 0x10000000
#define SA_NODEFER 0x40000000
#define SA_RESETHAND 0x80000000
struct sigaction {
  void (*sa_handler)(int);
  sigset_t sa_mask;
  int sa_flags;
};
int sigaction(int, const struct sigaction *, struct sigaction *);
int sigemptyset(sigset_t *);
int sigfillset(sigset_t *);
int sigaddset(sigset_t *, int);
int sigdelset(sigset_t *, int);
int sigismember(const sigset_t *, int);
int sigprocmask(int, const sigset_t *, sigset_t *);
int sigsuspend(const sigset_t *);
#endif
