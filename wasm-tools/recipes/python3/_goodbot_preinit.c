/* _goodbot_preinit: CPython started once, ahead of time, by Wizer.
 *
 * The recipe runs Wizer on the interpreter with `wizer.initialize` below:
 * CPython starts as `python3` would with no arguments and an empty
 * environment (site, encodings, os, io… imported; the stdlib mapped at
 * /usr/local/lib as at run time), and Wizer writes the memory that results
 * into python3.wasm, whose `_start` is `goodbot_resume` (python3-plain.wasm
 * is the interpreter without it).
 *
 * A run then starts from that memory. goodbot_resume first gives wasi-libc
 * the run's environment, preopens and working folder (the snapshot holds
 * the initialization's), then reads this run's configuration the way
 * CPython's main would. When it equals the snapshot's in everything but
 * what only the run itself uses (argv, -c/-m/script, -i, -q, -P), the
 * interpreter is reconfigured in place (CPython's own re-initialization:
 * sys.argv, sys.orig_argv, sys.flags), gets new standard streams for the
 * run's descriptors and the run's os.environ, and runs. What site found
 * holds for every run: WASI has no user site, and no zone may be mounted
 * over the stdlib's /usr/local/lib (goodbot refuses the overlap).
 * Otherwise (another -O, -X, -E, -S, -u, PYTHONPATH…) the snapshot's
 * interpreter is finalized and CPython starts over from the command line,
 * as python3-plain.wasm does.
 *
 * What a process sets once: str hashes are keyed once per process, and the
 * snapshot's strings and dictionaries hold hashes made with its key
 * (random, drawn when the snapshot was made: one per build, not one per
 * run); the memory allocator is chosen once too. A run that sets either
 * (PYTHONHASHSEED; PYTHONMALLOC, PYTHONDEVMODE, -X dev) cannot be served
 * from the snapshot: goodbot's catalog runs python3-plain.wasm for those,
 * and this program refuses them (exit 120) rather than run wrong.
 *
 * `_goodbot_preinit.resumed` tells a program (and goodbot's tests) which way
 * it started. */
#ifndef Py_BUILD_CORE_BUILTIN
#  define Py_BUILD_CORE_MODULE 1
#endif
#include "Python.h"
#include "pycore_initconfig.h"
#include "pycore_pathconfig.h"
#include "pycore_pylifecycle.h"
#include "pycore_runtime.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>
#include <wasi/libc-environ.h>
#include <wasi/libc.h>

/* CPython's init_sys_streams, made callable by goodbot-init-streams.patch. */
extern PyStatus _Py_GoodbotInitStdio(PyThreadState *tstate);

/* The snapshot's configuration as a run would read it from the same
 * command line, without and with the paths getpath finds (made by
 * wizer.initialize, comparable()). */
static PyObject *snapshot_preconfig;
static PyObject *snapshot_config;
static PyObject *snapshot_config_with_paths;
static int resumed;

/* Keys of PyConfig that CPython uses only to run the program, never while
 * initializing: a run may set them and still start from the snapshot. */
static const char *const run_only_keys[] = {
    "argv", "orig_argv", "run_command", "run_module", "run_filename",
    "skip_source_first_line", "safe_path", "inspect", "interactive", "quiet",
};

static void fail(const char *what) {
  fprintf(stderr, "python3: starting from the snapshot failed: %s\n", what);
  if (PyErr_Occurred()) PyErr_Print();
  exit(120);
}

/* The command line of this run, from WASI (wasi-libc's main would pass it). */
static char **run_arguments(int *argc) {
  __wasi_size_t count, size;
  if (__wasi_args_sizes_get(&count, &size) != 0) fail("args_sizes_get");
  char **argv = calloc(count + 1, sizeof(char *));
  char *buffer = malloc(size);
  if (argv == NULL || buffer == NULL) fail("out of memory");
  if (__wasi_args_get((uint8_t **)argv, (uint8_t *)buffer) != 0) fail("args_get");
  *argc = (int)count;
  return argv;
}

/* wasi-libc state the snapshot holds from its own start: the environment,
 * the preopened folders, the working folder (see initial-cwd.c). The
 * snapshot's preopen (/usr/local/lib) stays in wasi-libc's table, but the
 * run's own, registered after it, wins every lookup it could match: the
 * python3 tool always mounts its stdlib at that same path. */
static void adopt_run_process(void) {
  __wasilibc_deinitialize_environ();
  __wasilibc_initialize_environ();
  for (__wasi_fd_t fd = 3; fd != 0; fd++) {
    __wasi_prestat_t prestat;
    __wasi_errno_t error = __wasi_fd_prestat_get(fd, &prestat);
    if (error == __WASI_ERRNO_BADF) break;
    if (error != 0) fail("fd_prestat_get");
    if (prestat.tag != __WASI_PREOPENTYPE_DIR) continue;
    char *prefix = malloc(prestat.u.dir.pr_name_len + 1);
    if (prefix == NULL) fail("out of memory");
    if (__wasi_fd_prestat_dir_name(fd, (uint8_t *)prefix, prestat.u.dir.pr_name_len) != 0) fail("fd_prestat_dir_name");
    prefix[prestat.u.dir.pr_name_len] = '\0';
    if (__wasilibc_register_preopened_fd((int)fd, prefix) != 0) fail("registering a preopen");
    free(prefix);
  }
  const char *pwd = getenv("PWD");
  if (pwd != NULL && pwd[0] == '/' && pwd[1] != '\0') (void)chdir(pwd);
}

/* The preconfig a run's command line and environment give (allocator,
 * UTF-8 mode, locale coercion), as a dictionary; NULL when unreadable. */
static PyObject *read_preconfig(int argc, char **argv) {
  PyPreConfig preconfig;
  PyPreConfig_InitPythonConfig(&preconfig);
  _PyArgv args = {.argc = argc, .use_bytes_argv = 1, .bytes_argv = argv, .wchar_argv = NULL};
  PyStatus status = _PyPreConfig_Read(&preconfig, &args);
  if (PyStatus_Exception(status)) return NULL;
  return _PyPreConfig_AsDict(&preconfig);
}

/* CONFIG as a dictionary without the run-only keys. */
static PyObject *comparable(const PyConfig *config) {
  PyObject *dict = _PyConfig_AsDict(config);
  if (dict == NULL) return NULL;
  for (size_t i = 0; i < sizeof run_only_keys / sizeof run_only_keys[0]; i++) {
    if (PyDict_DelItemString(dict, run_only_keys[i]) < 0) {
      Py_DECREF(dict);
      return NULL;
    }
  }
  return dict;
}

/* Reads a configuration from ARGV and the environment as a fresh process
 * does; with PATHS, also the paths (getpath), as init_interp_main does. */
static int read_config(PyConfig *config, int argc, char **argv, int paths) {
  /* The running interpreter's path configuration would fill in what the
   * command line leaves unset (program name, executable…): forget it.
   * Reconfiguring sets it again. */
  _PyPathConfig_ClearGlobal();
  PyConfig_InitPythonConfig(config);
  PyStatus status = PyConfig_SetBytesArgv(config, argc, argv);
  if (!PyStatus_Exception(status)) status = _PyConfig_Read(config, 0);
  if (!PyStatus_Exception(status) && paths) status = _PyConfig_InitImportConfig(config);
  return PyStatus_Exception(status) ? -1 : 0;
}

static int same(PyObject *a, PyObject *b) {
  int equal = a != NULL && b != NULL ? PyObject_RichCompareBool(a, b, Py_EQ) : 0;
  if (equal < 0) PyErr_Clear();
  return equal == 1;
}

/* os.environ is built once, when os is imported: refill its dictionary
 * (posix.environ, the same object) from the run's environment. */
static int adopt_environment(void) {
  PyObject *posix = PyImport_ImportModule("posix");
  if (posix == NULL) return -1;
  PyObject *data = PyObject_GetAttrString(posix, "environ");
  Py_DECREF(posix);
  if (data == NULL) return -1;
  PyDict_Clear(data);
  for (char **entry = __wasilibc_get_environ(); entry != NULL && *entry != NULL; entry++) {
    const char *equals = strchr(*entry, '=');
    if (equals == NULL) continue;
    PyObject *key = PyBytes_FromStringAndSize(*entry, equals - *entry);
    PyObject *value = PyBytes_FromString(equals + 1);
    if (key == NULL || value == NULL || PyDict_SetDefault(data, key, value) == NULL) {
      Py_XDECREF(key);
      Py_XDECREF(value);
      Py_DECREF(data);
      return -1;
    }
    Py_DECREF(key);
    Py_DECREF(value);
  }
  Py_DECREF(data);
  return 0;
}

static int resume_fast(PyConfig *config) {
  PyThreadState *tstate = PyThreadState_Get();
  PyObject *path = PySys_GetObject("path"); /* site's additions: reconfiguring resets sys.path */
  Py_XINCREF(path);
  PyStatus status = Py_InitializeFromConfig(config);
  if (PyStatus_Exception(status)) {
    Py_XDECREF(path);
    return -1;
  }
  if (path != NULL) {
    int error = PySys_SetObject("path", path);
    Py_DECREF(path);
    if (error < 0) return -1;
  }
  /* As init_interp_main does: the codec names in normal form ("utf-8"). */
  if (PyStatus_Exception(_PyUnicode_InitEncodings(tstate))) return -1;
  if (PyStatus_Exception(_Py_GoodbotInitStdio(tstate))) return -1;
  return adopt_environment();
}

/* Whether this run may start from the snapshot, and then its configuration
 * in CONFIG (to clear). getpath's inputs are configuration (compared) and
 * the files under /usr/local/lib (the same in every run), and PATH when the
 * program's name has no slash: with PATH unset, as it was for the
 * snapshot, the paths are the snapshot's, without running getpath again. */
static int run_config(PyConfig *config, int argc, char **argv) {
  PyObject *preconfig = read_preconfig(argc, argv);
  int fast = same(preconfig, snapshot_preconfig);
  Py_XDECREF(preconfig);
  if (!fast) return 0;
  if (read_config(config, argc, argv, 0) < 0) {
    PyConfig_Clear(config);
    return 0;
  }
  PyObject *run = _PyConfig_AsDict(config);
  PyObject *compared = comparable(config);
  fast = run != NULL && same(compared, snapshot_config);
  Py_XDECREF(compared);
  if (fast && getenv("PATH") != NULL) {
    fast = !PyStatus_Exception(_PyConfig_InitImportConfig(config));
    compared = fast ? comparable(config) : NULL;
    fast = same(compared, snapshot_config_with_paths);
    Py_XDECREF(compared);
  } else if (fast) {
    PyObject *paths = _PyConfig_AsDict(_PyInterpreterState_GetConfig(PyInterpreterState_Get()));
    for (size_t i = 0; fast && i < sizeof run_only_keys / sizeof run_only_keys[0]; i++) {
      PyObject *value = PyDict_GetItemString(run, run_only_keys[i]);
      fast = paths != NULL && value != NULL && PyDict_SetItemString(paths, run_only_keys[i], value) == 0;
    }
    PyConfig_Clear(config);
    PyConfig_InitPythonConfig(config);
    fast = fast && _PyConfig_FromDict(config, paths) == 0;
    Py_XDECREF(paths);
  }
  Py_XDECREF(run);
  if (!fast) PyConfig_Clear(config);
  return fast;
}

/* Whether this run needs what only a fresh process has: another str hash
 * key (PYTHONHASHSEED) or another memory allocator (PYTHONMALLOC, -X dev,
 * PYTHONDEVMODE); CPython sets both once per process. */
static int needs_fresh_process(int argc, char **argv) {
  PyObject *preconfig = read_preconfig(argc, argv);
  int differs = 0;
  if (preconfig != NULL) {
    const char *keys[] = {"allocator", "dev_mode"};
    for (size_t i = 0; i < 2; i++) {
      differs |= !same(PyDict_GetItemString(preconfig, keys[i]), PyDict_GetItemString(snapshot_preconfig, keys[i]));
    }
    Py_DECREF(preconfig);
  }
  PyConfig config;
  PyConfig_InitPythonConfig(&config);
  PyStatus status = PyConfig_SetBytesArgv(&config, argc, argv);
  if (!PyStatus_Exception(status)) status = _PyConfig_Read(&config, 0);
  const PyConfig *snapshot = _PyInterpreterState_GetConfig(PyInterpreterState_Get());
  differs |= !PyStatus_Exception(status) &&
             (config.use_hash_seed != snapshot->use_hash_seed || (config.use_hash_seed && config.hash_seed != snapshot->hash_seed) ||
              config.dev_mode != snapshot->dev_mode);
  PyConfig_Clear(&config);
  return differs;
}

__attribute__((export_name("goodbot_resume"))) void goodbot_resume(void) {
  adopt_run_process();
  if (_PyRuntime.preconfig.configure_locale) (void)setlocale(LC_CTYPE, "");
  int argc;
  char **argv = run_arguments(&argc);

  PyConfig config;
  int fast = run_config(&config, argc, argv);
  if (fast) {
    resumed = 1;
    if (resume_fast(&config) < 0) fail("reconfiguring the interpreter");
    PyConfig_Clear(&config);
    exit(Py_RunMain());
  }
  PyErr_Clear();
  /* goodbot's catalog runs python3-plain.wasm for these; say so rather
   * than run with the snapshot's hash key or allocator. */
  if (needs_fresh_process(argc, argv)) {
    fprintf(stderr, "python3: PYTHONHASHSEED, PYTHONMALLOC, PYTHONDEVMODE and -X dev need an interpreter started from scratch "
                    "(python3-plain.wasm): this one starts from a snapshot\n");
    exit(120);
  }
  if (Py_FinalizeEx() < 0) fail("finalizing the snapshot's interpreter");
  exit(Py_BytesMain(argc, argv));
}

__attribute__((export_name("wizer.initialize"))) void goodbot_preinitialize(void) {
  char *argv[] = {"python3", NULL};
  PyPreConfig preconfig;
  PyPreConfig_InitPythonConfig(&preconfig);
  _PyArgv args = {.argc = 1, .use_bytes_argv = 1, .bytes_argv = argv, .wchar_argv = NULL};
  PyStatus status = _Py_PreInitializeFromPyArgv(&preconfig, &args);
  if (PyStatus_Exception(status)) Py_ExitStatusException(status);
  PyConfig config;
  PyConfig_InitPythonConfig(&config);
  status = PyConfig_SetBytesArgv(&config, 1, argv);
  if (!PyStatus_Exception(status)) status = Py_InitializeFromConfig(&config);
  PyConfig_Clear(&config);
  if (PyStatus_Exception(status)) Py_ExitStatusException(status);
  /* Read again as a run reads it (paths need the running interpreter). */
  snapshot_preconfig = read_preconfig(1, argv);
  if (read_config(&config, 1, argv, 0) < 0) fail("reading the configuration");
  snapshot_config = comparable(&config);
  if (PyStatus_Exception(_PyConfig_InitImportConfig(&config))) fail("reading the paths");
  snapshot_config_with_paths = comparable(&config);
  PyConfig_Clear(&config);
  if (snapshot_preconfig == NULL || snapshot_config == NULL || snapshot_config_with_paths == NULL) fail("preparing the snapshot");
  /* Everything start-up made moves to the collector's permanent generation:
   * collections (finalization's among them) no longer walk it, which was
   * half of a short run. Objects the run makes are collected as always. */
  PyObject *gc = PyImport_ImportModule("gc");
  PyObject *frozen = gc != NULL ? PyObject_CallMethod(gc, "freeze", NULL) : NULL;
  if (frozen == NULL) fail("freezing start-up's objects");
  Py_DECREF(frozen);
  Py_DECREF(gc);
  /* A plain start has not imported gc: neither has a resumed one. */
  if (PyDict_DelItemString(PySys_GetObject("modules"), "gc") < 0) fail("unloading gc");
}

static PyObject *module_getattr(PyObject *module, PyObject *name) {
  if (PyUnicode_Check(name) && PyUnicode_CompareWithASCIIString(name, "resumed") == 0) return PyBool_FromLong(resumed);
  PyErr_Format(PyExc_AttributeError, "module '_goodbot_preinit' has no attribute %R", name);
  return NULL;
}

static PyMethodDef methods[] = {
    {"__getattr__", (PyCFunction)module_getattr, METH_O, "resumed: whether this run started from the snapshot"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_goodbot_preinit",
    "Whether this interpreter started from goodbot's pre-initialized snapshot.", 0, methods,
};

PyMODINIT_FUNC PyInit__goodbot_preinit(void) { return PyModule_Create(&module); }
