/*
 * The first program in a goodbot namespace sandbox (bound read-only at
 * /run/goodbot/init, run by bwrap as the sandbox's user, under its seccomp
 * filter). It waits for the run on descriptor REQUEST (so a sandbox can be
 * made before its run is known), enters its working folder, takes its
 * environment, takes the command's standard input, output and error from
 * descriptors IN, OUT and ERR (bwrap's own stdio stays goodbot's, so a
 * failure to set up the sandbox is never mistaken for the command's output,
 * and bwrap's monitor, which closes descriptors above 2, never holds the
 * command's pipes: they close when the command's processes end), closes
 * every other descriptor, optionally starts the network relay, and executes
 * the command:
 *
 *   init --request REQUEST [--stdin IN] [--stdout OUT] [--stderr ERR] [--relay PORT SOCKET]
 *
 * The request, read to its end: NUL-terminated strings, the working folder,
 * then NAME=VALUE for each variable, an empty string, then the command and
 * its arguments. A request that cannot be carried out (a working folder
 * that is not there) is reported on bwrap's standard error, exit 125.
 *
 * The relay listens on 127.0.0.1:PORT (the sandbox's own loopback, its only
 * network) and carries each connection to the Unix socket SOCKET, where
 * goodbot's egress proxy decides and audits every request. It runs beside
 * the command and ends with the sandbox. Linked statically: it needs nothing
 * from the root filesystem.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static void relay_pair(int a, int b) {
  struct pollfd fds[2] = {{.fd = a, .events = POLLIN}, {.fd = b, .events = POLLIN}};
  char buffer[65536];
  int open_ends = 2;
  while (open_ends > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    for (int i = 0; i < 2; i++) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      ssize_t got = read(fds[i].fd, buffer, sizeof buffer);
      int to = i == 0 ? b : a;
      if (got <= 0) {
        shutdown(to, SHUT_WR);
        fds[i].fd = -1;
        open_ends--;
        continue;
      }
      for (ssize_t sent = 0; sent < got;) {
        ssize_t wrote = write(to, buffer + sent, (size_t)(got - sent));
        if (wrote <= 0) return;
        sent += wrote;
      }
    }
  }
}

/* Binds 127.0.0.1:PORT, then serves it in a child of its own; returns once it listens. */
static void start_relay(int port, const char *path) {
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int yes = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (listener < 0 || bind(listener, (struct sockaddr *)&address, sizeof address) < 0 || listen(listener, 64) < 0) {
    fprintf(stderr, "goodbot: the network relay could not listen on 127.0.0.1:%d: %s\n", port, strerror(errno));
    return;
  }
  struct sockaddr_un proxy = {.sun_family = AF_UNIX};
  snprintf(proxy.sun_path, sizeof proxy.sun_path, "%s", path);
  if (fork() != 0) {
    close(listener);
    return;
  }
  signal(SIGCHLD, SIG_IGN);
  for (;;) {
    int client = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
    if (client < 0) continue;
    if (fork() == 0) {
      close(listener);
      int upstream = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (upstream >= 0 && connect(upstream, (struct sockaddr *)&proxy, sizeof proxy) == 0) relay_pair(client, upstream);
      _exit(0);
    }
    close(client);
  }
}

/* The whole of descriptor FD, NUL-terminated once more at its end; exits 125 when it cannot be read. */
static char *read_all(int fd, size_t *length) {
  size_t size = 4096, used = 0;
  char *data = malloc(size);
  for (;;) {
    if (data == NULL) break;
    if (used + 1 >= size) data = realloc(data, size *= 2);
    if (data == NULL) break;
    ssize_t got = read(fd, data + used, size - used - 1);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) break;
    if (got == 0) {
      data[used] = '\0';
      *length = used;
      return data;
    }
    used += (size_t)got;
  }
  fprintf(stderr, "goodbot init: cannot read the run's request: %s\n", strerror(errno));
  exit(125);
}

int main(int argc, char **argv) {
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1, relay_port = 0, request_fd = -1;
  const char *relay_socket = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--request") == 0 && i + 1 < argc) {
      request_fd = atoi(argv[++i]);
    } else if (strcmp(argv[i], "--stdin") == 0 && i + 1 < argc) {
      stdin_fd = atoi(argv[++i]);
    } else if (strcmp(argv[i], "--stdout") == 0 && i + 1 < argc) {
      stdout_fd = atoi(argv[++i]);
    } else if (strcmp(argv[i], "--stderr") == 0 && i + 1 < argc) {
      stderr_fd = atoi(argv[++i]);
    } else if (strcmp(argv[i], "--relay") == 0 && i + 2 < argc) {
      relay_port = atoi(argv[i + 1]);
      relay_socket = argv[i + 2];
      i += 2;
    } else {
      fprintf(stderr, "goodbot init: unknown option %s\n", argv[i]);
      return 125;
    }
  }
  if (request_fd < 0) {
    fprintf(stderr, "goodbot init: no --request\n");
    return 125;
  }
  size_t length = 0;
  char *request = read_all(request_fd, &length);
  /* The strings: cwd, NAME=VALUE..., "", argv... */
  char *end = request + length, *at = request;
  const char *cwd = at;
  at += strlen(at) + 1;
  clearenv();
  while (at < end && *at != '\0') {
    if (putenv(at) != 0) return 125;
    at += strlen(at) + 1;
  }
  at++;
  char **command = calloc((size_t)(end - request) + 1, sizeof *command);
  int count = 0;
  while (command != NULL && at < end) {
    command[count++] = at;
    at += strlen(at) + 1;
  }
  if (count == 0) {
    fprintf(stderr, "goodbot init: the run's request names no command\n");
    return 125;
  }
  if (chdir(cwd) < 0) {
    fprintf(stderr, "goodbot init: cannot enter the working folder %s: %s\n", cwd, strerror(errno));
    return 125;
  }
  if (stdin_fd >= 0 && dup2(stdin_fd, 0) < 0) return 125;
  if (stdout_fd >= 0 && dup2(stdout_fd, 1) < 0) return 125;
  if (stderr_fd >= 0 && dup2(stderr_fd, 2) < 0) return 125;
  /* Nothing goodbot handed bwrap reaches the command: a held zone folder's ".." would lead out of the zone. */
  if (syscall(SYS_close_range, 3, ~0U, 0) < 0) return 125;
  if (relay_socket != NULL) start_relay(relay_port, relay_socket);
  execvp(command[0], command);
  int missing = errno == ENOENT;
  fprintf(stderr, "%s: %s\n", command[0], missing ? "command not found" : strerror(errno));
  return missing ? 127 : 126;
}
