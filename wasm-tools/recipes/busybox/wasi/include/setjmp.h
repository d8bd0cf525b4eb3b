/* wasi-libc 2022 has no setjmp/longjmp. busybox only uses them as an error
 * exit inside one applet (test's syntax errors, gunzip's corrupt-data path,
 * the NOFORK runner that shells use): there, longjmp(buf, v) is turned into
 * exit(v), which is what the applet does with the value anyway. */
#ifndef GOODBOT_SETJMP_H
#define GOODBOT_SETJMP_H
typedef int jmp_buf[1];
typedef int sigjmp_buf[1];
_Noreturn void goodbot_longjmp_exit(int value);
#define setjmp(env) ((void)(env), 0)
#define sigsetjmp(env, save) ((void)(env), 0)
#define longjmp(env, v) goodbot_longjmp_exit(v)
#define siglongjmp(env, v) goodbot_longjmp_exit(v)
#endif
