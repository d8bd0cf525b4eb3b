/* goodbot's setjmp/longjmp runtime for wasi-libc, for code compiled with
 * clang 14's `-mllvm -wasm-enable-sjlj` (LLVM's WebAssemblyLowerEmscriptenEHSjLj
 * in its wasm-EH mode). The pass rewrites every function that calls setjmp to
 * keep a table of its setjmp sites, turns each longjmp into a throw of the
 * `__c_longjmp` wasm exception tag, and catches that tag around calls. It
 * leaves these symbols for a runtime to define (LLVM 14's contract, as in
 * emscripten's emscripten_setjmp.c):
 *   saveSetjmp(env, label, table, size) -> table   record a setjmp site
 *   testSetjmp(id, table, size) -> label           is this longjmp ours?
 *   __wasm_longjmp(env, val)                       throw __c_longjmp
 *   getTempRet0 / setTempRet0                      a second return value
 * `__c_longjmp` itself is a weak tag defined by each object that uses it.
 * No threads in WASI preview1, so plain globals are enough.
 * This file must be compiled with -mexception-handling (for the throw). */
#include <stdint.h>
#include <stdlib.h>

typedef struct { uint32_t id; uint32_t label; } TableEntry;

static uint32_t temp_ret0;
static uint32_t setjmp_id;

void setTempRet0(uint32_t value) { temp_ret0 = value; }
uint32_t getTempRet0(void) { return temp_ret0; }

/* The table the pass allocates starts with `size` slots plus one terminator
 * (id 0); it is grown with realloc, and the pass frees it on return. */
TableEntry *saveSetjmp(uint32_t *env, uint32_t label, TableEntry *table, uint32_t size) {
  uint32_t id = ++setjmp_id;
  if (id == 0) id = ++setjmp_id; /* 0 marks a free slot: never hand it out */
  *env = id;
  for (uint32_t i = 0; i < size; i++) {
    if (table[i].id == 0) {
      table[i].id = id;
      table[i].label = label;
      table[i + 1].id = 0;
      setTempRet0(size);
      return table;
    }
  }
  uint32_t grown = size * 2;
  table = realloc(table, sizeof(TableEntry) * (grown + 1));
  if (!table) abort();
  table[size].id = id;
  table[size].label = label;
  table[size + 1].id = 0;
  setTempRet0(grown);
  return table;
}

uint32_t testSetjmp(uint32_t id, TableEntry *table, uint32_t size) {
  for (uint32_t i = 0; i < size && table[i].id != 0; i++)
    if (table[i].id == id) return table[i].label;
  return 0;
}

/* The pass reads the thrown pointer as { void *env; int val; }. */
static struct { void *env; int val; } longjmp_args;

void __wasm_longjmp(void *env, int val) {
  longjmp_args.env = env;
  longjmp_args.val = val == 0 ? 1 : val; /* C: longjmp(env, 0) returns 1 */
  __builtin_wasm_throw(1 /* WebAssembly::C_LONGJMP: the __c_longjmp tag */, &longjmp_args);
}

/* For longjmp calls the pass did not rewrite (files built without the flag,
 * or longjmp taken by address). setjmp has no out-of-line definition: a
 * setjmp call outside a -wasm-enable-sjlj file fails to link, as it should. */
struct __jmp_buf_tag;
_Noreturn void longjmp(struct __jmp_buf_tag *env, int val) {
  __wasm_longjmp(env, val);
  __builtin_unreachable();
}
