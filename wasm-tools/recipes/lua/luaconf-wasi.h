/* Force-included (-include) into every Lua source. Turns on the parts of
 * LUA_USE_POSIX that WASI has, without LUA_USE_POSIX itself (that also wants
 * sigaction, <sys/wait.h> and popen, which WASI lacks). io.popen then fails
 * with "'popen' not supported"; os.execute gets system() from wasi-stubs,
 * which reports "Function not implemented". */
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* run stdin as a script when it is not a terminal (Lua's C89 default assumes a tty) */
#define lua_stdin_is_tty() isatty(0)
/* 64-bit file offsets: long is 32 bits on wasm32 */
#define l_fseek(f, o, w) fseeko(f, o, w)
#define l_ftell(f) ftello(f)
#define l_seeknum off_t
#define l_gmtime(t, r) gmtime_r(t, r)
#define l_localtime(t, r) localtime_r(t, r)
/* os.tmpname: mkstemp (from wasi-stubs) instead of tmpnam, in $TMPDIR's
   usual place; works when the policy mounts a /tmp zone */
int mkstemp(char *template); /* hidden by wasi-libc without _XOPEN_SOURCE */
#define LUA_TMPNAMBUFSIZE 32
#define lua_tmpnam(b, e) { strcpy(b, "/tmp/lua_XXXXXX"); e = mkstemp(b); if (e != -1) close(e); e = (e == -1); }
