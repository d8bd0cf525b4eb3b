/* See goodbot-process.h. The strings go to the host as one buffer each:
 * every argument (or NAME=VALUE) followed by a NUL. */
#define _POSIX_C_SOURCE 200809L /* getcwd, PATH_MAX under -std=c11 (CPython builds so) */
#include "goodbot-process.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((import_module("goodbot_process"), import_name("run"))) extern int32_t goodbot_process_run_import(
    const char *argv, size_t argv_len, const char *env, size_t env_len, const char *cwd, size_t cwd_len, uint32_t flags,
    const void *input, size_t input_len, int32_t *status, uint32_t *out_len, uint32_t *err_len);

__attribute__((import_module("goodbot_process"), import_name("output"))) extern int32_t goodbot_process_output_import(int32_t which,
                                                                                                                       void *buf,
                                                                                                                       size_t len);

/* The strings of LIST, each with its NUL, in one new buffer; its size in *LEN. */
static char *joined(char *const list[], size_t *len) {
  size_t total = 0;
  for (size_t i = 0; list != NULL && list[i] != NULL; i++) total += strlen(list[i]) + 1;
  char *buf = malloc(total + 1);
  if (buf == NULL) return NULL;
  size_t at = 0;
  for (size_t i = 0; list != NULL && list[i] != NULL; i++) {
    size_t n = strlen(list[i]) + 1;
    memcpy(buf + at, list[i], n);
    at += n;
  }
  *len = total;
  return buf;
}

int goodbot_process_run(char *const argv[], char *const envp[], unsigned flags, const void *input, size_t input_len,
                        int *status, size_t *out_len, size_t *err_len) {
  size_t argv_len = 0, env_len = 0;
  char cwd[PATH_MAX];
  if (getcwd(cwd, sizeof cwd) == NULL) strcpy(cwd, "/");
  char *args = joined(argv, &argv_len);
  char *env = joined(envp, &env_len);
  if (args == NULL || env == NULL) {
    free(args);
    free(env);
    errno = ENOMEM;
    return -1;
  }
  /* What this program wrote so far comes before what the child writes. */
  fflush(NULL);
  int32_t code = 0;
  uint32_t out = 0, err = 0;
  int32_t rc = goodbot_process_run_import(args, argv_len, env, env_len, cwd, strlen(cwd), flags, input, input_len, &code, &out, &err);
  free(args);
  free(env);
  if (rc != 0) {
    errno = rc;
    return -1;
  }
  *status = code;
  if (out_len != NULL) *out_len = out;
  if (err_len != NULL) *err_len = err;
  return 0;
}

int goodbot_process_output(int which, void *buf, size_t len) {
  int32_t rc = goodbot_process_output_import(which, buf, len);
  if (rc != 0) {
    errno = rc;
    return -1;
  }
  return 0;
}
