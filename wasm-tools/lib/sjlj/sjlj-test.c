/* Self-test of the runtime (see README.md): nested setjmp, longjmp across
 * frames and through a frame compiled without setjmp, several setjmp sites in
 * one function, longjmp(env, 0) returning 1, and a table that has to grow. */
#include <setjmp.h>
#include <stdio.h>

static jmp_buf outer, inner;
static int depth;

static void thrower(jmp_buf env, int val) { longjmp(env, val); }
static void recurse(int n) { if (n == 0) thrower(inner, 42); else recurse(n - 1); depth++; }

static int nested(void) {
  volatile int steps = 0;
  int r = setjmp(inner);
  if (r == 0) { steps++; recurse(50); }
  steps += 10;
  if (r == 42) longjmp(outer, steps); /* leave both levels */
  return -1;
}

static int many_sites(void) {
  jmp_buf b[12];
  volatile int sum = 0;
  /* 12 setjmp sites in one function: more than the pass's initial table */
#define SITE(i) if (setjmp(b[i]) == 0) { if (i % 3 == 0) longjmp(b[i], 0); } else sum += i;
  SITE(0) SITE(1) SITE(2) SITE(3) SITE(4) SITE(5) SITE(6) SITE(7) SITE(8) SITE(9) SITE(10) SITE(11)
  return sum;
}

int main(void) {
  volatile int round = 0;
  int r = setjmp(outer);
  printf("outer setjmp returned %d (round %d)\n", r, round);
  if (round++ == 0) { nested(); puts("not reached"); return 1; }
  int ok = r == 11 && depth == 0;
  int s = many_sites();
  printf("many sites sum %d (want 18)\n", s);
  ok = ok && s == 0 + 3 + 6 + 9;
  jmp_buf again;
  volatile int count = 0;
  if (setjmp(again) < 3) { count++; longjmp(again, count); }
  printf("loop count %d (want 3)\n", count);
  ok = ok && count == 3;
  puts(ok ? "sjlj ok" : "sjlj FAILED");
  return ok ? 0 : 1;
}
