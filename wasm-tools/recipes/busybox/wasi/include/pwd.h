/* struct passwd for busybox's own /etc/passwd reader (CONFIG_USE_BB_PWD_GRP,
 * include/pwd_.h renames the functions). */
#ifndef _PWD_H
#define _PWD_H
#include <sys/types.h>
#include <stdio.h>
struct passwd {
  char *pw_name, *pw_passwd;
  uid_t pw_uid;
  gid_t pw_gid;
  char *pw_gecos, *pw_dir, *pw_shell;
};
#endif
