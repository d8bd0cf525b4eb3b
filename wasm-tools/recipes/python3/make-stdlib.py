"""Compiles CPython's Lib/ into a tree of sourceless .pyc files for the guest.

usage: python3.11 make-stdlib.py SRC_LIB SYSCONFIGDATA MAKEFILE DEST GUEST_DIR

Run with the build python (same 3.11 bytecode as the WASI interpreter). Each
code object's file name is the guest path (GUEST_DIR/...py), not the build
path. A directory of .pyc files rather than a zip: zipimport parses the whole
central directory in Python at start-up and inflates every module, which made
start-up and imports measurably slower under goodbot.
"""
import pathlib
import py_compile
import re
import sys

src, sysconfigdata, makefile, dest, guest = sys.argv[1:]
src, dest = pathlib.Path(src), pathlib.Path(dest)

# Not useful in a sandbox without processes, threads, a GUI or a network stack,
# or large and rarely used; keeps the tree small.
OMIT = {
    "test", "idlelib", "tkinter", "turtledemo", "turtle.py", "ensurepip", "venv",
    "distutils", "lib2to3", "pydoc_data", "msilib", "_pydecimal.py", "_pyio.py",
    "antigravity.py", "webbrowser.py", "_aix_support.py", "_osx_support.py",
    "_bootsubprocess.py", "__phello__", "__hello__.py", "site-packages",
    "concurrent/futures/thread.py", "concurrent/futures/process.py",
    "multiprocessing", "curses", "dbm/gnu.py", "dbm/ndbm.py",
    "ctypes/test", "sqlite3/test", "unittest/test", "tkinter/test",
}
# Packages that need an extension module this build does not have.
NEEDS = {"_ctypes": ["ctypes"], "_ssl": ["ssl.py"], "_lzma": ["lzma.py"], "_bz2": ["bz2.py"],
         "_sqlite3": ["sqlite3"], "_decimal": ["decimal.py"], "pyexpat": ["xml", "xmlrpc"]}
states = dict(re.findall(r"^MODULE_(\w+)_STATE=(\S+)", pathlib.Path(makefile).read_text(), re.M))
for module, paths in NEEDS.items():
    if states.get(module.upper()) != "yes":
        OMIT.update(paths)

count = 0
def compile_one(path, rel):
    global count
    target = dest / rel.with_suffix(".pyc")
    target.parent.mkdir(parents=True, exist_ok=True)
    py_compile.compile(str(path), cfile=str(target), dfile=f"{guest}/{rel.as_posix()}", doraise=True,
                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    count += 1

for path in sorted(src.rglob("*.py")):
    rel = path.relative_to(src)
    parts = rel.parts
    if "__pycache__" in parts or any("/".join(parts[:i]) in OMIT for i in range(1, len(parts) + 1)):
        continue
    compile_one(path, rel)
# Debian's sysconfig looks for _sysconfigdata_{ABIFLAGS}_{MULTIARCH} (its
# multiarch patch), while the Makefile writes the upstream name: install it
# under the name the interpreter will import.
variables = dict(re.findall(r"^(ABIFLAGS|MULTIARCH)=[ \t]*(\S*)", pathlib.Path(makefile).read_text(), re.M))
compile_one(pathlib.Path(sysconfigdata),
            pathlib.Path(f"_sysconfigdata_{variables['ABIFLAGS']}_{variables['MULTIARCH']}.py"))
(dest / "lib-dynload").mkdir(parents=True, exist_ok=True)
(dest / "lib-dynload" / ".empty").touch()
print(f"{count} modules compiled into {dest}")
