/*
 * goodbot's namespace launcher: the few steps before bubblewrap that Node
 * cannot take in a child process between fork and exec. It runs as
 * goodbot's user, does what its options ask in this order, then execs
 * PROGRAM (bwrap) with every descriptor it was given:
 *
 *   --cgroup DIR          join the cgroup DIR (write 0 to DIR/cgroup.procs),
 *                         so every process of the sandbox is counted there
 *   --stage DIR           (with --idmap) the folder to mount clones on, in a
 *                         mount namespace of the launcher's own
 *   --idmap FD UID GID    replace the held folder FD with an idmapped,
 *                         nosuid, nodev clone of it in which files owned by
 *                         UID:GID belong to the sandbox's user (and what the
 *                         sandbox creates belongs to UID:GID on disk)
 *   --stage-bind FD       replace FD (any file, e.g. a Unix socket) with a
 *                         clone of it in the stage, which bwrap (as the
 *                         sandbox's user) can reach where the original's
 *                         folders are closed to it
 *   --rlimit RES N        set a resource limit (as, nproc, nofile, fsize)
 *   --seccomp-fd N        build the sandbox's seccomp filter into descriptor N
 *   --user UID GID        become UID:GID with no supplementary groups
 *   -- PROGRAM ARGS...
 *
 * Then no_new_privs is set and PROGRAM is executed. On any failure it writes
 * one line "ns-launcher: STEP: REASON" to stderr and exits 125 (nothing of
 * the sandbox has run). The clones live in the launcher's own mount
 * namespace, which bwrap inherits: the host never sees them, and they go
 * when the sandbox ends.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/mount.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define FAILED 125
#define MAX_IDMAPS 64

static void fail(const char *step, const char *fmt, ...) {
  va_list args;
  fprintf(stderr, "ns-launcher: %s: ", step);
  va_start(args, fmt);
  vfprintf(stderr, fmt, args);
  va_end(args);
  fputc('\n', stderr);
  exit(FAILED);
}

static long number(const char *text, const char *what) {
  char *end;
  errno = 0;
  long long value = strtoll(text, &end, 10);
  if (errno != 0 || *end != '\0' || value < 0) fail("arguments", "%s must be a non-negative number, not '%s'", what, text);
  return (long)value;
}

static void write_file(const char *path, const char *text, const char *step) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) fail(step, "open %s: %s", path, strerror(errno));
  size_t length = strlen(text);
  if (write(fd, text, length) != (ssize_t)length) fail(step, "write %s: %s", path, strerror(errno));
  close(fd);
}

/* A user namespace (as a descriptor) in which OWNER maps to SANDBOX: the idmapping of a clone. */
static int idmap_namespace(long owner_uid, long owner_gid, long sandbox_uid, long sandbox_gid) {
  int ready[2], done[2];
  if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(done, O_CLOEXEC) < 0) fail("idmap", "pipe: %s", strerror(errno));
  pid_t child = fork();
  if (child < 0) fail("idmap", "fork: %s", strerror(errno));
  if (child == 0) {
    close(done[1]);
    char byte = unshare(CLONE_NEWUSER) == 0 ? 'y' : 'n';
    if (write(ready[1], &byte, 1) != 1) _exit(1);
    (void)read(done[0], &byte, 1);
    _exit(0);
  }
  close(ready[1]);
  close(done[0]);
  char byte = 'n';
  if (read(ready[0], &byte, 1) != 1 || byte != 'y') fail("idmap", "could not make a user namespace for the idmapping");
  char path[64], map[96];
  snprintf(path, sizeof path, "/proc/%d/uid_map", child);
  snprintf(map, sizeof map, "%ld %ld 1\n", owner_uid, sandbox_uid);
  write_file(path, map, "idmap uid_map");
  snprintf(path, sizeof path, "/proc/%d/gid_map", child);
  snprintf(map, sizeof map, "%ld %ld 1\n", owner_gid, sandbox_gid);
  write_file(path, map, "idmap gid_map");
  snprintf(path, sizeof path, "/proc/%d/ns/user", child);
  int ns = open(path, O_RDONLY | O_CLOEXEC);
  if (ns < 0) fail("idmap", "open %s: %s", path, strerror(errno));
  close(done[1]);
  waitpid(child, NULL, 0);
  close(ready[0]);
  return ns;
}

/* A detached copy of the mount tree at FD (taken in the host's mount namespace, where FD's mount is). */
static int clone_tree(int fd) {
  int tree = (int)syscall(SYS_open_tree, fd, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree < 0) fail("idmap", "open_tree of descriptor %d: %s", fd, strerror(errno));
  return tree;
}

/* Mounts TREE (FD's clone) at STAGE/INDEX in this mount namespace and makes FD hold it there. */
static void stage_tree(int fd, int tree, int index, const char *stage) {
  struct stat held;
  if (fstat(fd, &held) < 0) fail("stage", "fstat of descriptor %d: %s", fd, strerror(errno));
  char target[4096];
  snprintf(target, sizeof target, "%s/%d", stage, index);
  int made = S_ISDIR(held.st_mode) ? mkdir(target, 0711) : mknod(target, S_IFREG | 0600, 0);
  if (made < 0) fail("stage", "make %s: %s", target, strerror(errno));
  if (syscall(SYS_move_mount, tree, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0) fail("stage", "move_mount: %s", strerror(errno));
  close(tree);
  int clone = open(target, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (clone < 0) fail("stage", "open %s: %s", target, strerror(errno));
  if (dup2(clone, fd) < 0) fail("stage", "dup2: %s", strerror(errno));
  close(clone);
}

/* Makes TREE (a clone) nosuid, nodev and idmapped: files of OWNER there belong to SANDBOX. */
static void idmap_tree(int tree, long owner_uid, long owner_gid, long sandbox_uid, long sandbox_gid) {
  /* One user namespace per owner: zones of one owner share it. */
  static struct { long uid, gid; int ns; } made[MAX_IDMAPS];
  static int made_count = 0;
  int ns = -1;
  for (int k = 0; k < made_count && ns < 0; k++)
    if (made[k].uid == owner_uid && made[k].gid == owner_gid) ns = made[k].ns;
  if (ns < 0) {
    ns = idmap_namespace(owner_uid, owner_gid, sandbox_uid, sandbox_gid);
    made[made_count].uid = owner_uid;
    made[made_count].gid = owner_gid;
    made[made_count++].ns = ns;
  }
  struct mount_attr attr = {
      .attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
      .userns_fd = (uint64_t)ns,
  };
  if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
    fail("idmap", "this file system cannot be idmapped (mount_setattr: %s)", strerror(errno));
}

/* A mount namespace of the launcher's own, with a private tmpfs at STAGE for the clones
 * (mode 0711: the sandbox's user resolves the clones' paths, only this namespace has them). */
static void private_stage(const char *stage) {
  if (unshare(CLONE_NEWNS) < 0) fail("stage", "unshare: %s", strerror(errno));
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) fail("stage", "make / private: %s", strerror(errno));
  if (mount("goodbot-stage", stage, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0711,size=64k") < 0)
    fail("stage", "mount tmpfs on %s: %s", stage, strerror(errno));
}

static int resource(const char *name) {
  if (strcmp(name, "as") == 0) return RLIMIT_AS;
  if (strcmp(name, "nproc") == 0) return RLIMIT_NPROC;
  if (strcmp(name, "nofile") == 0) return RLIMIT_NOFILE;
  if (strcmp(name, "fsize") == 0) return RLIMIT_FSIZE;
  if (strcmp(name, "core") == 0) return RLIMIT_CORE;
  fail("arguments", "unknown resource '%s'", name);
  return -1;
}

static void rule(scmp_filter_ctx ctx, uint32_t action, int call, unsigned count, ...) {
  struct scmp_arg_cmp conditions[2];
  va_list args;
  va_start(args, count);
  for (unsigned i = 0; i < count; i++) conditions[i] = va_arg(args, struct scmp_arg_cmp);
  va_end(args);
  if (call == __NR_SCMP_ERROR) return; /* not a call of this architecture */
  int error = seccomp_rule_add_array(ctx, action, call, count, conditions);
  if (error < 0) fail("seccomp", "rule for call %d: %s", call, strerror(-error));
}

#define DENY SCMP_ACT_ERRNO(EPERM)
#define MISSING SCMP_ACT_ERRNO(ENOSYS)
#define HAS(arg, bits) SCMP_CMP64(arg, SCMP_CMP_MASKED_EQ, (bits), (bits))
#define IS_TYPE(arg, type) SCMP_CMP64(arg, SCMP_CMP_MASKED_EQ, S_IFMT, (type))
#ifndef __O_TMPFILE
#define __O_TMPFILE 020000000
#endif

/* Calls no tool needs that open the kernel to attack, as Docker's default profile denies them, and more. */
static const char *const denied_calls[] = {
    "acct", "add_key", "bpf", "chroot", "clock_adjtime", "clock_settime", "create_module", "delete_module",
    "finit_module", "fsconfig", "fsmount", "fsopen", "fspick", "get_kernel_syms", "get_mempolicy", "init_module",
    "io_uring_enter", "io_uring_register", "io_uring_setup", "ioperm", "iopl", "kcmp", "kexec_file_load",
    "kexec_load", "keyctl", "lookup_dcookie", "mbind", "mount", "mount_setattr", "move_mount", "move_pages",
    "name_to_handle_at", "nfsservctl", "open_by_handle_at", "open_tree", "perf_event_open", "pivot_root",
    "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace", "query_module", "quotactl",
    "quotactl_fd", "reboot", "request_key", "set_mempolicy", "setns", "settimeofday", "stime", "swapoff",
    "swapon", "syslog", "sysfs", "_sysctl", "umount", "umount2", "unshare", "uselib", "userfaultfd", "ustat",
    "vm86", "vm86old", "vhangup", "landlock_create_ruleset", "fanotify_init", "pidfd_getfd",
};

/*
 * The filter, as BPF in descriptor TARGET (bwrap --seccomp loads it just
 * before it executes the command). Files in read-write zones may belong to
 * the zone's owner (host root included), so nothing the guest creates or
 * changes may get setuid or setgid bits, and no device node can be made.
 */
static void seccomp_filter(int target) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (ctx == NULL) fail("seccomp", "seccomp_init failed");
  for (size_t i = 0; i < sizeof denied_calls / sizeof *denied_calls; i++) {
    int call = seccomp_syscall_resolve_name(denied_calls[i]);
    if (call != __NR_SCMP_ERROR) rule(ctx, DENY, call, 0);
  }
  static const uint64_t namespaces[] = {CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWCGROUP, 0x80 /* CLONE_NEWTIME */};
  for (size_t i = 0; i < sizeof namespaces / sizeof *namespaces; i++) rule(ctx, DENY, SCMP_SYS(clone), 1, HAS(0, namespaces[i]));
  /* clone3 and openat2 take their flags in memory a filter cannot read: report them missing, so libc falls back to clone and openat. */
  rule(ctx, MISSING, seccomp_syscall_resolve_name("clone3"), 0);
  rule(ctx, MISSING, seccomp_syscall_resolve_name("openat2"), 0);
  static const uint64_t privileged_bits[] = {S_ISUID, S_ISGID};
  for (size_t i = 0; i < 2; i++) {
    uint64_t bits = privileged_bits[i];
    rule(ctx, DENY, SCMP_SYS(chmod), 1, HAS(1, bits));
    rule(ctx, DENY, SCMP_SYS(fchmod), 1, HAS(1, bits));
    rule(ctx, DENY, SCMP_SYS(fchmodat), 1, HAS(2, bits));
    rule(ctx, DENY, 452 /* fchmodat2 */, 1, HAS(2, bits));
    rule(ctx, DENY, SCMP_SYS(creat), 1, HAS(1, bits));
    rule(ctx, DENY, SCMP_SYS(open), 2, HAS(1, O_CREAT), HAS(2, bits));
    rule(ctx, DENY, SCMP_SYS(open), 2, HAS(1, __O_TMPFILE), HAS(2, bits));
    rule(ctx, DENY, SCMP_SYS(openat), 2, HAS(2, O_CREAT), HAS(3, bits));
    rule(ctx, DENY, SCMP_SYS(openat), 2, HAS(2, __O_TMPFILE), HAS(3, bits));
    rule(ctx, DENY, SCMP_SYS(mkdir), 1, HAS(1, bits));
    rule(ctx, DENY, SCMP_SYS(mkdirat), 1, HAS(2, bits));
    rule(ctx, DENY, SCMP_SYS(mknod), 1, HAS(1, bits));
    rule(ctx, DENY, SCMP_SYS(mknodat), 1, HAS(2, bits));
  }
  static const uint64_t devices[] = {S_IFCHR, S_IFBLK};
  for (size_t i = 0; i < 2; i++) {
    rule(ctx, DENY, SCMP_SYS(mknod), 1, IS_TYPE(1, devices[i]));
    rule(ctx, DENY, SCMP_SYS(mknodat), 1, IS_TYPE(2, devices[i]));
  }
  int memory = memfd_create("goodbot-seccomp", MFD_CLOEXEC);
  if (memory < 0) fail("seccomp", "memfd_create: %s", strerror(errno));
  int error = seccomp_export_bpf(ctx, memory);
  if (error < 0) fail("seccomp", "export: %s", strerror(-error));
  seccomp_release(ctx);
  if (lseek(memory, 0, SEEK_SET) < 0) fail("seccomp", "lseek: %s", strerror(errno));
  if (memory != target) {
    if (dup2(memory, target) < 0) fail("seccomp", "dup2: %s", strerror(errno));
    close(memory);
  }
  if (fcntl(target, F_SETFD, 0) < 0) fail("seccomp", "fcntl: %s", strerror(errno));
}

int main(int argc, char **argv) {
  const char *stage = NULL;
  long user_uid = -1, user_gid = -1;
  int seccomp_target = -1, idmap_count = 0, i = 1;
  /* uid -1: staged as it is, without an idmapping */
  struct { int fd; long uid, gid; } idmaps[MAX_IDMAPS];
  for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
    const char *option = argv[i];
    int left = argc - i - 1;
    if (strcmp(option, "--cgroup") == 0 && left >= 1) {
      char path[4096];
      snprintf(path, sizeof path, "%s/cgroup.procs", argv[++i]);
      write_file(path, "0", "cgroup");
    } else if (strcmp(option, "--stage") == 0 && left >= 1) {
      stage = argv[++i];
    } else if (strcmp(option, "--idmap") == 0 && left >= 3 && idmap_count < MAX_IDMAPS) {
      idmaps[idmap_count].fd = (int)number(argv[i + 1], "a descriptor");
      idmaps[idmap_count].uid = number(argv[i + 2], "a uid");
      idmaps[idmap_count].gid = number(argv[i + 3], "a gid");
      idmap_count++;
      i += 3;
    } else if (strcmp(option, "--stage-bind") == 0 && left >= 1 && idmap_count < MAX_IDMAPS) {
      idmaps[idmap_count].fd = (int)number(argv[++i], "a descriptor");
      idmaps[idmap_count].uid = -1;
      idmaps[idmap_count].gid = -1;
      idmap_count++;
    } else if (strcmp(option, "--rlimit") == 0 && left >= 2) {
      rlim_t value = (rlim_t)number(argv[i + 2], "a limit");
      struct rlimit limit = {value, value};
      if (setrlimit(resource(argv[i + 1]), &limit) < 0) fail("rlimit", "%s: %s", argv[i + 1], strerror(errno));
      i += 2;
    } else if (strcmp(option, "--seccomp-fd") == 0 && left >= 1) {
      seccomp_target = (int)number(argv[++i], "a descriptor");
    } else if (strcmp(option, "--user") == 0 && left >= 2) {
      user_uid = number(argv[i + 1], "a uid");
      user_gid = number(argv[i + 2], "a gid");
      i += 2;
    } else {
      fail("arguments", "unknown or incomplete option '%s'", option);
    }
  }
  if (i + 1 >= argc) fail("arguments", "no program after --");
  if (idmap_count > 0) {
    if (stage == NULL || user_uid < 0) fail("arguments", "--idmap and --stage-bind need --stage and --user");
    int trees[MAX_IDMAPS];
    for (int k = 0; k < idmap_count; k++) trees[k] = clone_tree(idmaps[k].fd);
    private_stage(stage);
    for (int k = 0; k < idmap_count; k++) {
      if (idmaps[k].uid >= 0) idmap_tree(trees[k], idmaps[k].uid, idmaps[k].gid, user_uid, user_gid);
      stage_tree(idmaps[k].fd, trees[k], k, stage);
    }
  }
  if (seccomp_target >= 0) seccomp_filter(seccomp_target);
  if (user_uid >= 0) {
    if (setgroups(0, NULL) < 0 && getuid() == 0) fail("user", "setgroups: %s", strerror(errno));
    if (setgid((gid_t)user_gid) < 0) fail("user", "setgid %ld: %s", user_gid, strerror(errno));
    if (setuid((uid_t)user_uid) < 0) fail("user", "setuid %ld: %s", user_uid, strerror(errno));
    if (user_uid != 0 && setuid(0) == 0) fail("user", "could get root back after dropping it");
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail("no_new_privs", "%s", strerror(errno));
  execv(argv[i + 1], argv + i + 1);
  fail("exec", "%s: %s", argv[i + 1], strerror(errno));
  return FAILED;
}
