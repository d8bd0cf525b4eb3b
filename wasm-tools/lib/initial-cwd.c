/*
 * Linked into every catalog tool built from C or Rust. WASI preview1 has no
 * working directory: wasi-libc emulates one, starting at "/". goodbot passes
 * the run's working folder in PWD (as a login shell would set it), and this
 * constructor moves there before main, so relative paths (`python3 app.py`,
 * `open("config.json")`, `rg TODO`) resolve against it. A PWD that is not an
 * absolute path, or not a folder the run can see, leaves the process at "/".
 */
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor)) static void goodbot_initial_cwd(void) {
  const char *pwd = getenv("PWD");
  if (pwd != NULL && pwd[0] == '/' && pwd[1] != '\0') (void)chdir(pwd);
}
