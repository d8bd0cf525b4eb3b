/* _goodbot_process: goodbot's process interface for CPython on WASI
 * (wasm-tools/lib/process), which _goodbot_subprocess.py builds
 * subprocess.Popen and os.system on.
 *
 * run(argv, env, flags, input) -> (status, stdout or None, stderr or None)
 * runs argv (a list of str) with env (a list of "NAME=VALUE") in the
 * current working folder, to its end; FLAGS are goodbot-process.h's. */
#define PY_SSIZE_T_CLEAN
#include "Python.h"

#include <errno.h>
#include <stdlib.h>

#include "goodbot-process.h"

static void free_list(char **list) {
  for (size_t i = 0; list != NULL && list[i] != NULL; i++) free(list[i]);
  free(list);
}

/* A NULL-terminated copy of SEQ's strings (file-system encoded), or NULL with an exception set. */
static char **string_list(PyObject *seq, const char *what) {
  PyObject *fast = PySequence_Fast(seq, what);
  if (fast == NULL) return NULL;
  Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
  char **list = calloc((size_t)n + 1, sizeof(char *));
  if (list == NULL) {
    Py_DECREF(fast);
    PyErr_NoMemory();
    return NULL;
  }
  for (Py_ssize_t i = 0; i < n; i++) {
    PyObject *bytes = NULL;
    if (!PyUnicode_FSConverter(PySequence_Fast_GET_ITEM(fast, i), &bytes)) {
      free_list(list);
      Py_DECREF(fast);
      return NULL;
    }
    list[i] = strdup(PyBytes_AS_STRING(bytes));
    Py_DECREF(bytes);
    if (list[i] == NULL) {
      free_list(list);
      Py_DECREF(fast);
      PyErr_NoMemory();
      return NULL;
    }
  }
  Py_DECREF(fast);
  return list;
}

static PyObject *kept_output(int which, size_t len) {
  PyObject *bytes = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)len);
  if (bytes == NULL) return NULL;
  if (len > 0 && goodbot_process_output(which, PyBytes_AS_STRING(bytes), len) != 0) {
    Py_DECREF(bytes);
    return PyErr_SetFromErrno(PyExc_OSError);
  }
  return bytes;
}

static PyObject *goodbot_run(PyObject *self, PyObject *args) {
  (void)self;
  PyObject *argv_obj, *env_obj;
  unsigned int flags;
  Py_buffer input = {0};
  if (!PyArg_ParseTuple(args, "OOIy*", &argv_obj, &env_obj, &flags, &input)) return NULL;
  char **argv = string_list(argv_obj, "argv must be a sequence of strings");
  char **envp = argv == NULL ? NULL : string_list(env_obj, "env must be a sequence of strings");
  if (argv == NULL || envp == NULL) {
    free_list(argv);
    PyBuffer_Release(&input);
    return NULL;
  }
  if (argv[0] == NULL) {
    free_list(argv);
    free_list(envp);
    PyBuffer_Release(&input);
    PyErr_SetString(PyExc_ValueError, "no command to run");
    return NULL;
  }
  int status = 0;
  size_t out_len = 0, err_len = 0;
  int rc = goodbot_process_run(argv, envp, flags, input.buf, (size_t)input.len, &status, &out_len, &err_len);
  PyBuffer_Release(&input);
  if (rc != 0) {
    PyObject *error = PyErr_SetFromErrnoWithFilename(PyExc_OSError, argv[0]);
    free_list(argv);
    free_list(envp);
    return error;
  }
  free_list(argv);
  free_list(envp);
  PyObject *out = Py_None, *err = Py_None;
  Py_INCREF(Py_None);
  Py_INCREF(Py_None);
  if (flags & GOODBOT_STDOUT_CAPTURE) {
    Py_DECREF(out);
    if ((out = kept_output(1, out_len)) == NULL) {
      Py_DECREF(err);
      return NULL;
    }
  }
  if (flags & GOODBOT_STDERR_CAPTURE) {
    Py_DECREF(err);
    if ((err = kept_output(2, err_len)) == NULL) {
      Py_DECREF(out);
      return NULL;
    }
  }
  return Py_BuildValue("(iNN)", status, out, err);
}

static PyMethodDef methods[] = {
    {"run", goodbot_run, METH_VARARGS, "run(argv, env, flags, input) -> (status, stdout, stderr)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_goodbot_process", NULL, -1, methods};

PyMODINIT_FUNC PyInit__goodbot_process(void) { return PyModule_Create(&module); }
