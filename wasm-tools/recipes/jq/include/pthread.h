/* The one pthread call jq 1.6 makes without checking HAVE_PTHREAD_*
 * (pthread_once in src/jv.c, seeding its hash). wasi-libc has no pthread.h
 * and a WASI preview1 guest has one thread, so once is a flag. */
#ifndef GOODBOT_JQ_PTHREAD_H
#define GOODBOT_JQ_PTHREAD_H
typedef int pthread_once_t;
#define PTHREAD_ONCE_INIT 0
static inline int pthread_once(pthread_once_t *once, void (*init)(void)) {
  if (!*once) { *once = 1; init(); }
  return 0;
}
#endif
