/* pwd.h for wasi-libc (which has none). WASI has no user database: the
 * stubs in ../src/wasi-stubs.c know one user, "user" (uid 0, the owner WASI's
 * stat reports), whose home is $HOME or "/". */
#ifndef GOODBOT_PWD_H
#define GOODBOT_PWD_H
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct passwd {
  char *pw_name;
  char *pw_passwd;
  uid_t pw_uid;
  gid_t pw_gid;
  char *pw_gecos;
  char *pw_dir;
  char *pw_shell;
};

struct passwd *getpwuid(uid_t uid);
struct passwd *getpwnam(const char *name);

#ifdef __cplusplus
}
#endif
#endif
