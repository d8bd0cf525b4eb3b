/* struct group for busybox's own /etc/group reader (see pwd.h). */
#ifndef _GRP_H
#define _GRP_H
#include <sys/types.h>
#include <stdio.h>
struct group {
  char *gr_name, *gr_passwd;
  gid_t gr_gid;
  char **gr_mem;
};
#endif
