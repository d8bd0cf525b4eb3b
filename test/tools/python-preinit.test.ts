import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type ExecRequest, type RunResult, type SandboxConfig } from '../../src/node/index.js';
import { findRecipe } from '../../src/tools/catalog.js';
import { ToolStore } from '../../src/node/tools/tool-store.js';
import { makeTree, removeTree, tempDir } from '../helpers/guests.js';

/**
 * The catalog's python3 starts from a snapshot Wizer made of CPython after
 * its start-up (wasm-tools/recipes/python3/_goodbot_preinit.c). A run must
 * not be able to tell: every command line below runs in python3.wasm and in
 * python3-plain.wasm (the same interpreter, started from scratch), and what
 * the interpreter knows of its run (argv, flags, paths, environment,
 * working folder, standard streams, warnings, loaded modules) must be the
 * same. Command lines that change how CPython initializes (-O, -E, -S, -I,
 * -u, -X, PYTHONPATH, PYTHONHASHSEED…) start over from the command line
 * inside the snapshot; the rest resume it.
 */
let root: string;
let plain: string;
let lib: string;

beforeAll(() => {
  root = tempDir('goodbot-preinit-');
  makeTree(root, {
    'work/app.py': 'import probe\nprobe.report()\n',
    'work/probe.py': `
import json, os, sys, warnings
def report():
    streams = {}
    for name in ("stdin", "stdout", "stderr"):
        s = getattr(sys, name)
        streams[name] = [s.name, s.encoding, s.errors, s.line_buffering, s.write_through, s.isatty(), type(s.buffer).__name__, s is getattr(sys, "__" + name + "__")]
    print(json.dumps({
        "argv": sys.argv, "orig_argv": sys.orig_argv, "flags": list(sys.flags), "path": sys.path,
        "executable": sys.executable, "prefix": [sys.prefix, sys.exec_prefix, sys.base_prefix, sys.platlibdir],
        "environ": dict(os.environ), "environb": len(os.environb), "cwd": os.getcwd(), "streams": streams,
        "warnings": [str(f) for f in warnings.filters], "warnoptions": sys.warnoptions, "xoptions": sys._xoptions,
        "modules": sorted(m for m in sys.modules if m not in ("_goodbot_preinit", "probe", "json", "json.decoder", "json.scanner", "json.encoder", "_json", "re", "re._compiler", "re._parser", "re._constants", "re._casefix", "enum", "functools", "operator", "keyword", "reprlib", "collections", "itertools", "_collections", "_functools", "_operator", "heapq", "_heapq", "types", "copyreg", "_sre", "warnings", "_weakrefset", "_locale", "sre_compile", "sre_parse", "sre_constants")),
        "encodings": [sys.getfilesystemencoding(), sys.getfilesystemencodeerrors(), sys.getdefaultencoding()],
        "dont_write_bytecode": sys.dont_write_bytecode, "debug": __debug__, "main": sys.modules["__main__"].__dict__.get("__file__"),
    }, sort_keys=True))
`,
    'work/pkg/__init__.py': '',
    'work/pkg/__main__.py': 'import probe\nprobe.report()\n',
    'home/.local/lib/python3.11/site-packages/usersite_module.py': 'WHERE = "user site"\n',
    'extra/on_pythonpath.py': 'WHERE = "PYTHONPATH"\n',
  });
  const store = new ToolStore();
  const build = store.buildDir(findRecipe('python3')!);
  plain = join(build, 'python3-plain.wasm');
  lib = join(build, 'lib');
});

afterAll(() => removeTree(root));

function config(): SandboxConfig {
  return {
    zones: [
      { name: 'work', mode: 'rw', hostPath: join(root, 'work') },
      { name: 'home', mode: 'ro', hostPath: join(root, 'home'), guestPath: '/home/agent' },
      { name: 'extra', mode: 'ro', hostPath: join(root, 'extra') },
    ],
  };
}

type Request = Omit<ExecRequest, 'program'>;

/** The same request in the snapshot and in the plain interpreter (which needs its stdlib mounted and argv[0] `python3`). */
async function both(request: Request): Promise<{ snapshot: RunResult; plain: RunResult }> {
  const snapshot = await createSandbox(config()).exec({ program: 'python3', ...request }).result;
  const base = config();
  const withLib: SandboxConfig = { ...base, zones: [...(base.zones ?? []), { name: 'lib', mode: 'ro', hostPath: lib, guestPath: '/usr/local/lib' }] };
  const fromScratch = await createSandbox(withLib).exec({ program: plain, argv0: 'python3', ...request }).result;
  return { snapshot, plain: fromScratch };
}

const resumedProbe = 'import _goodbot_preinit; print(_goodbot_preinit.resumed)';

async function resumed(request: Request): Promise<boolean> {
  const args = [...(request.args ?? [])];
  const result = await createSandbox(config()).exec({ program: 'python3', ...request, args: [...args, '-c', resumedProbe] }).result;
  expect(result.stderr).toBe('');
  return result.stdout.trim() === 'True';
}

const probe = 'import sys; sys.path.insert(0, "/work") if "/work" not in sys.path else None; import probe; probe.report()';
const home = { HOME: '/home/agent', PWD: '/work' };

describe('python3 from its snapshot', () => {
  it.each<[string, Request]>([
    ['-c with arguments', { args: ['-c', probe, 'one', 'two words'] }],
    ['-c with a working folder and variables', { args: ['-c', probe], cwd: '/work', env: { FOO: 'bar', LANG: 'C.UTF-8' } }],
    ['a script with arguments', { args: ['app.py', '--flag'], cwd: '/work' }],
    ['-m a package', { args: ['-m', 'pkg', 'x'], cwd: '/work' }],
    ['a program on stdin', { args: ['-', 'arg'], cwd: '/work', stdin: `${probe}\n` }],
    ['stdout and stderr on a terminal', { args: ['-c', probe], terminal: { stdout: true, stderr: true } }],
    ['HOME (WASI has no user site)', { args: ['-c', probe], env: home, cwd: '/work' }],
    ['PATH set (getpath looks for python3 on it)', { args: ['-c', probe], env: { PATH: '/work:/usr/bin' } }],
    ['-O', { args: ['-O', '-c', probe] }],
    ['-E, -s and -B', { args: ['-E', '-s', '-B', '-c', probe], env: home }],
    ['-S', { args: ['-S', '-c', probe] }],
    ['-I', { args: ['-I', '-c', probe] }],
    ['-u', { args: ['-u', '-c', probe] }],
    ['-W and -X', { args: ['-W', 'error::DeprecationWarning', '-X', 'utf8', '-X', 'warn_default_encoding', '-c', probe] }],
    ['-X dev', { args: ['-X', 'dev', '-c', probe] }],
    ['PYTHONMALLOC', { args: ['-c', probe], env: { PYTHONMALLOC: 'malloc' } }],
    ['PYTHONPATH', { args: ['-c', `import on_pythonpath; ${probe}`], env: { PYTHONPATH: '/extra' } }],
    ['PYTHONHASHSEED', { args: ['-c', `print(hash("goodbot")); ${probe}`], env: { PYTHONHASHSEED: '1234' } }],
    ['PYTHONUTF8=0 and PYTHONIOENCODING', { args: ['-c', probe], env: { PYTHONUTF8: '0', PYTHONIOENCODING: 'latin-1' } }],
  ])('%s: the run sees what a fresh interpreter sees', async (_name, request) => {
    const { snapshot, plain: fromScratch } = await both(request);
    expect(fromScratch.stderr).toBe('');
    expect(fromScratch.exitCode).toBe(0);
    expect(snapshot.stderr).toBe('');
    expect(snapshot.exitCode).toBe(0);
    expect(JSON.parse(snapshot.stdout.split('\n').at(-2)!)).toEqual(JSON.parse(fromScratch.stdout.split('\n').at(-2)!));
    expect(snapshot.stdout).toBe(fromScratch.stdout);
  });

  it('resumes the snapshot unless the command line changes how CPython starts', async () => {
    expect(await resumed({})).toBe(true);
    expect(await resumed({ cwd: '/work', env: { ...home, FOO: 'bar' } })).toBe(true);
    expect(await resumed({ args: ['-q', '-P'] })).toBe(true);
    expect(await resumed({ args: ['-O'] })).toBe(false);
    expect(await resumed({ args: ['-S'] })).toBe(false);
    expect(await resumed({ env: { PYTHONPATH: '/extra' } })).toBe(false);
    expect(await resumed({ env: { PYTHONHASHSEED: '0' } })).toBe(false);
    expect(await resumed({ args: ['-X', 'dev'] })).toBe(false);
  });

  it('refuses, rather than serve wrongly, a run that needs a fresh process when started without the catalog', async () => {
    const base = config();
    const withLib: SandboxConfig = {
      ...base,
      zones: [...(base.zones ?? []), { name: 'lib', mode: 'ro', hostPath: lib, guestPath: '/usr/local/lib' }],
    };
    const snapshot = join(lib, '..', 'python3.wasm');
    const requests: Request[] = [{ env: { PYTHONHASHSEED: '0' } }, { args: ['-X', 'dev'] }, { env: { PYTHONMALLOC: 'malloc' } }];
    for (const request of requests) {
      const result = await createSandbox(withLib).exec({
        program: snapshot,
        argv0: 'python3',
        ...request,
        args: [...(request.args ?? []), '-c', 'print(1)'],
      }).result;
      expect(result.exitCode).toBe(120);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('need an interpreter started from scratch (python3-plain.wasm)');
    }
    const fine = await createSandbox(withLib).exec({ program: snapshot, argv0: 'python3', args: ['-c', resumedProbe] }).result;
    expect(fine.stdout).toBe('True\n');
  });

  it('runs with the run’s zones wherever the policy puts them (the snapshot’s own preopen is not used)', async () => {
    // The policy's zones come first, so descriptor 3 (the snapshot's stdlib preopen) is /work here.
    const result = await createSandbox(config()).exec({
      program: 'python3',
      args: [
        '-c',
        'import os, email.mime.text; print(sorted(os.listdir("/usr/local/lib/python3.11"))[:1], os.listdir("/work")[:0], email.mime.text.__name__)',
      ],
    }).result;
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe("['__future__.pyc'] [] email.mime.text\n");
  });

  it('reports errors and exit codes as CPython does on both paths', async () => {
    for (const args of [
      ['-c', 'raise SystemExit(7)'],
      ['-O', '-c', 'raise SystemExit(7)'],
    ]) {
      const result = await createSandbox(config()).exec({ program: 'python3', args }).result;
      expect(result.exitCode).toBe(7);
    }
    const missing = await createSandbox(config()).exec({ program: 'python3', args: ['/work/missing.py'] }).result;
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain("can't open file '/work/missing.py'");
  });

  it('counts the same fuel for the same run (metered runs start from the same memory)', async () => {
    const sandbox = createSandbox({ ...config(), limits: { fuel: 5_000_000_000 } });
    const fuel: (number | undefined)[] = [];
    for (let i = 0; i < 2; i++) {
      const result = await sandbox.exec({ program: 'python3', args: ['-c', 'print(sum(range(1000)))'] }).result;
      expect(result.stdout).toBe('499500\n');
      fuel.push(result.fuelConsumed);
    }
    expect(fuel[0]).toBeGreaterThan(0);
    expect(fuel[1]).toBe(fuel[0]);
    const spin = await createSandbox({ limits: { fuel: 50_000_000 } }).exec({ program: 'python3', args: ['-c', 'while True: pass'] }).result;
    expect(spin.status).toBe('fuel-exhausted');
  });
});
