/* setjmp.h for wasi-libc (which has none), backed by goodbot's own runtime in
 * ../sjlj.c. Code including this header must be compiled with
 *   -mllvm -wasm-enable-sjlj
 * so that clang 14 lowers setjmp/longjmp to wasm exception handling; see
 * ../README.md. sigsetjmp/_setjmp & co are plain aliases: WASI has no signals. */
#ifndef GOODBOT_SETJMP_H
#define GOODBOT_SETJMP_H

#ifdef __cplusplus
extern "C" {
#endif

/* The lowering keeps only a setjmp id in the first word; the rest is spare so
 * that code which copies or embeds a jmp_buf keeps working. */
typedef struct __jmp_buf_tag { unsigned long __id; unsigned long __spare[7]; } jmp_buf[1];
typedef jmp_buf sigjmp_buf;

int setjmp(jmp_buf env) __attribute__((__returns_twice__));
_Noreturn void longjmp(jmp_buf env, int val);

#define _setjmp(env) setjmp(env)
#define _longjmp(env, val) longjmp(env, val)
#define sigsetjmp(env, savesigs) setjmp(env)
#define siglongjmp(env, val) longjmp(env, val)

#ifdef __cplusplus
}
#endif
#endif
