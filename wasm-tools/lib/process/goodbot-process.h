/* goodbot's process interface for WASI tools: run a command as a child of
 * this program and wait for it (WASI preview1 has no processes). The host
 * import is goodbot_process.run; docs/architecture.md ("Tools that start
 * tools") describes it. */
#ifndef GOODBOT_PROCESS_H
#define GOODBOT_PROCESS_H
#include <stddef.h>

/* How the child's streams connect; 0 for all three: the caller's own. */
#define GOODBOT_STDIN_BYTES 1u    /* stdin: the INPUT bytes */
#define GOODBOT_STDIN_NULL 2u     /* stdin: nothing (/dev/null) */
#define GOODBOT_STDOUT_CAPTURE 4u /* stdout kept, for goodbot_process_output(1, …) */
#define GOODBOT_STDOUT_NULL 8u
#define GOODBOT_STDERR_CAPTURE 16u
#define GOODBOT_STDERR_NULL 32u
#define GOODBOT_STDERR_STDOUT 64u /* stderr goes where stdout goes (2>&1) */

/* Runs ARGV (argv[0] is a catalog tool, sh or bash, found as the shell
 * finds it) with the environment ENVP in the current working folder, and
 * waits for it. Returns 0 and sets *STATUS to its exit status (0-255), or
 * returns -1 with errno set (ENOENT: no such command, ENOSYS: this run
 * cannot start programs). Captured output sizes go to OUT_LEN / ERR_LEN. */
int goodbot_process_run(char *const argv[], char *const envp[], unsigned flags, const void *input, size_t input_len,
                        int *status, size_t *out_len, size_t *err_len);

/* Copies the captured output of the last run (WHICH: 1 stdout, 2 stderr)
 * into BUF, which holds the size goodbot_process_run gave. */
int goodbot_process_output(int which, void *buf, size_t len);

#endif
