// goodbot's `js` tool: a JavaScript engine (SpiderMonkey, via StarlingMonkey and
// componentize-js) as a WASI 0.2 command component. This file is its program:
// it exports wasi:cli/run and runs the user's script. build.sh replaces
// WASI_VERSION in the import specifiers by the engine's WASI version.
//
// Usage:
//   js script.js ARGS...   run a script file (read through the mounted zones)
//   js -e CODE ARGS...     run CODE (also --eval CODE)
//   js - ARGS... | js      run the script read from stdin
//   js --version
//
// The script runs as the body of an async function, like a CommonJS module in
// node: its `var`s stay local and top-level `await` works. Globals it can use:
//   args                   the arguments after the script (after CODE for -e)
//   readFile(path)         the file's text (UTF-8); readFile(path, null): its bytes (Uint8Array);
//                          path 0 or '/dev/stdin' reads stdin
//   writeFile(path, data)  creates or truncates the file; data is a string (UTF-8) or a Uint8Array
//   appendFile(path, data) appends to the file (creates it)
//   readDir(path)          the names in a directory, sorted
//   exists(path)           whether the path exists
//   mkdir(path)            creates a directory and its missing parents
//   exit(code = 0)         ends the program at once with this exit code (0-255)
//   process                argv, env, exitCode, exit(code), cwd(), stdout.write(s), stderr.write(s)
//   require(name)          'fs' (readFileSync, writeFileSync, appendFileSync, existsSync,
//                          readdirSync, mkdirSync) and 'process'; nothing else
//   fetch(url, init)       the engine's fetch, over wasi:http: only to hosts and ports the
//                          policy's network.allow grants (a refused request rejects); it
//                          does not follow redirects (response.status 3xx, headers.get('location'))
//   console.log/info/debug write to stdout, console.error/warn to stderr.
// Paths are absolute guest paths (/input/data.txt) or relative to the working
// directory, and must lie in a mounted zone. File errors are Errors with a
// node-like `code` (ENOENT, EACCES, EROFS, EEXIST, EISDIR, ENOTDIR...).
// Exit status: 0, or process.exitCode, at the end (after pending timers,
// fetches and body reads, as in node); an uncaught exception or rejection
// prints its message and stack to stderr and exits with 1; exit(n) /
// process.exit(n) exit with n.

import { getArguments, getEnvironment, initialCwd } from 'wasi:cli/environment@WASI_VERSION';
import { exitWithCode } from 'wasi:cli/exit@WASI_VERSION';
import { getStdin } from 'wasi:cli/stdin@WASI_VERSION';
import { getStdout } from 'wasi:cli/stdout@WASI_VERSION';
import { getStderr } from 'wasi:cli/stderr@WASI_VERSION';
import { getDirectories } from 'wasi:filesystem/preopens@WASI_VERSION';

const VERSION = 'goodbot js 1 (SpiderMonkey via StarlingMonkey, componentize-js)';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

// ---- files ----------------------------------------------------------------

const errnoCodes = {
  access: ['EACCES', 'permission denied'],
  'not-permitted': ['EPERM', 'operation not permitted'],
  'no-entry': ['ENOENT', 'no such file or directory'],
  exist: ['EEXIST', 'file already exists'],
  'is-directory': ['EISDIR', 'illegal operation on a directory'],
  'not-directory': ['ENOTDIR', 'not a directory'],
  'not-empty': ['ENOTEMPTY', 'directory not empty'],
  'read-only': ['EROFS', 'read-only file system'],
  'insufficient-space': ['ENOSPC', 'no space left on device'],
  quota: ['EDQUOT', 'disk quota exceeded'],
  'name-too-long': ['ENAMETOOLONG', 'name too long'],
  loop: ['ELOOP', 'too many symbolic links'],
  invalid: ['EINVAL', 'invalid argument'],
  'bad-descriptor': ['EBADF', 'bad file descriptor'],
  unsupported: ['ENOTSUP', 'operation not supported'],
};

function fileError(payload, operation, path) {
  const [code, text] = errnoCodes[payload] ?? [String(payload).toUpperCase().replace(/-/g, '_'), String(payload)];
  const error = new Error(`${code}: ${text}, ${operation} '${path}'`);
  error.code = code;
  error.path = path;
  return error;
}

/** Calls a filesystem function, turning a WASI error code into a node-like Error. */
function fs(operation, path, call) {
  try {
    return call();
  } catch (error) {
    if (error && typeof error.payload === 'string') throw fileError(error.payload, operation, path);
    throw error;
  }
}

let preopens;
function zones() {
  // Longest guest path first, so /data/in wins over /data.
  preopens ??= getDirectories()
    .map(([descriptor, path]) => ({ descriptor, path: normalize(path) }))
    .sort((a, b) => b.path.length - a.path.length);
  return preopens;
}

let workingDir;
function cwd() {
  workingDir ??= normalize(initialCwd() ?? '/');
  return workingDir;
}

function normalize(path) {
  const parts = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

/** The zone holding `path`, and the path relative to it. */
function locate(path, operation) {
  if (typeof path !== 'string') throw new TypeError(`${operation}: the path must be a string`);
  const absolute = normalize(path.startsWith('/') ? path : `${cwd()}/${path}`);
  for (const zone of zones()) {
    if (zone.path === '/' || absolute === zone.path || absolute.startsWith(`${zone.path}/`)) {
      const relative = absolute.slice(zone.path === '/' ? 1 : zone.path.length + 1);
      return { dir: zone.descriptor, relative: relative === '' ? '.' : relative };
    }
  }
  const error = fileError('no-entry', operation, path);
  error.message += ' (not in a mounted zone)';
  throw error;
}

function withFile(path, operation, openFlags, descriptorFlags, use) {
  const { dir, relative } = locate(path, operation);
  const file = fs(operation, path, () => dir.openAt({ symlinkFollow: true }, relative, openFlags, descriptorFlags));
  try {
    return fs(operation, path, () => use(file));
  } finally {
    file[Symbol.dispose]?.();
  }
}

function readBytes(path) {
  return withFile(path, 'open', {}, { read: true }, (file) => {
    const chunks = [];
    let total = 0;
    for (;;) {
      const [chunk, end] = file.read(1048576n, BigInt(total));
      if (chunk.length > 0) chunks.push(chunk);
      total += chunk.length;
      if (end || chunk.length === 0) break;
    }
    return concat(chunks);
  });
}

function concat(chunks) {
  const bytes = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

function toBytes(data) {
  if (typeof data === 'string') return encoder.encode(data);
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return encoder.encode(String(data));
}

function writeBytes(path, data, append) {
  const bytes = toBytes(data);
  const openFlags = append ? { create: true } : { create: true, truncate: true };
  withFile(path, 'open', openFlags, { write: true }, (file) => {
    let offset = append ? Number(file.stat().size) : 0;
    let written = 0;
    while (written < bytes.length) {
      const count = Number(file.write(bytes.subarray(written), BigInt(offset)));
      written += count;
      offset += count;
    }
  });
}

function readFile(path, encoding = 'utf8') {
  const bytes = path === 0 || path === '/dev/stdin' ? readStdinBytes() : readBytes(path);
  return encoding === null || encoding === undefined ? bytes : decoder.decode(bytes);
}

function writeFile(path, data) {
  writeBytes(path, data, false);
}

function appendFile(path, data) {
  writeBytes(path, data, true);
}

function readDir(path) {
  return withFile(path, 'scandir', { directory: true }, { read: true }, (dir) => {
    const names = [];
    const entries = dir.readDirectory();
    try {
      for (let entry; (entry = entries.readDirectoryEntry()); ) names.push(entry.name);
    } finally {
      entries[Symbol.dispose]?.();
    }
    return names.sort();
  });
}

function exists(path) {
  try {
    const { dir, relative } = locate(path, 'stat');
    dir.statAt({ symlinkFollow: true }, relative);
    return true;
  } catch {
    return false;
  }
}

function mkdir(path) {
  const { dir, relative } = locate(path, 'mkdir');
  if (relative === '.') return;
  let prefix = '';
  for (const part of relative.split('/')) {
    prefix = prefix === '' ? part : `${prefix}/${part}`;
    try {
      dir.createDirectoryAt(prefix);
    } catch (error) {
      if (error?.payload !== 'exist') throw fileError(error?.payload ?? 'invalid', 'mkdir', path);
    }
  }
}

// ---- output and exit --------------------------------------------------------

function writeStream(getStream, text) {
  const bytes = toBytes(text);
  const stream = getStream();
  try {
    // blocking-write-and-flush takes at most 4096 bytes per call.
    for (let offset = 0; offset < bytes.length; offset += 4096) {
      stream.blockingWriteAndFlush(bytes.subarray(offset, offset + 4096));
    }
  } finally {
    stream[Symbol.dispose]?.();
  }
  return true;
}

function exit(code = 0) {
  const status = Number.isInteger(Number(code)) ? Number(code) & 255 : 1;
  exitWithCode(status);
}

// Timers the script left pending: node runs them before it exits, so we do too.
const pendingTimers = new Set();
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
const realSetInterval = globalThis.setInterval;
const realClearInterval = globalThis.clearInterval;

/** A timer callback; an exception in it ends the program as an uncaught one. */
function guarded(callback, scriptName) {
  return (...values) => {
    try {
      if (typeof callback === 'function') callback(...values);
    } catch (error) {
      writeStream(getStderr, describe(error, scriptName));
      exit(1);
    }
  };
}

function trackTimers(scriptName) {
  globalThis.setTimeout = (callback, delay, ...rest) => {
    const run = guarded(callback, scriptName);
    const id = realSetTimeout(
      (...values) => {
        pendingTimers.delete(id);
        run(...values);
      },
      delay,
      ...rest,
    );
    pendingTimers.add(id);
    return id;
  };
  globalThis.clearTimeout = (id) => {
    pendingTimers.delete(id);
    realClearTimeout(id);
  };
  globalThis.setInterval = (callback, delay, ...rest) => {
    const id = realSetInterval(guarded(callback, scriptName), delay, ...rest);
    pendingTimers.add(id);
    return id;
  };
  globalThis.clearInterval = (id) => {
    pendingTimers.delete(id);
    realClearInterval(id);
  };
}

// Host I/O the script started (a fetch, reading a body) and that has not
// settled: node keeps running while any is pending, so we do too (until the
// run's deadline, if it never settles).
const pendingIo = new Set();

function trackIo(promise) {
  pendingIo.add(promise);
  const settled = () => pendingIo.delete(promise);
  promise.then(settled, settled);
  return promise;
}

function trackedAsync(target, name) {
  const real = target?.[name];
  if (typeof real !== 'function') return;
  target[name] = function (...values) {
    return trackIo(real.apply(this, values));
  };
}

function trackHostIo() {
  trackedAsync(globalThis, 'fetch');
  for (const Body of [globalThis.Response, globalThis.Request]) {
    for (const name of ['arrayBuffer', 'blob', 'bytes', 'formData', 'json', 'text']) trackedAsync(Body?.prototype, name);
  }
  trackedAsync(globalThis.ReadableStreamDefaultReader?.prototype, 'read');
}

/** Waits, as node does before it exits, until no timer and no host I/O is pending. */
async function settlePending() {
  for (;;) {
    if (pendingIo.size > 0) await Promise.allSettled([...pendingIo]);
    else if (pendingTimers.size > 0) await new Promise((resolve) => realSetTimeout(resolve, 1));
    else {
      // One task later, the promise chains that follow settled I/O have run: they may have started more.
      await new Promise((resolve) => realSetTimeout(resolve, 0));
      if (pendingIo.size === 0 && pendingTimers.size === 0) return;
    }
  }
}

// ---- errors ---------------------------------------------------------------

/** Lines offset of a script in `new AsyncFunction(body)`: SpiderMonkey puts the body on line 3. */
const FUNCTION_BODY_LINE = 3;
/** Frames shown for an uncaught error (node shows 10). */
const STACK_FRAMES = 10;

function describe(error, scriptName) {
  if (!(error instanceof Error)) {
    let text;
    try {
      text = typeof error === 'string' ? error : JSON.stringify(error) ?? String(error);
    } catch {
      text = String(error);
    }
    return `Uncaught ${text}\n`;
  }
  const header = `${error.name ?? 'Error'}: ${error.message}`;
  const frames = [];
  for (const line of String(error.stack ?? '').split('\n')) {
    const match = /^(?:async\*)?(.*)@(.*):(\d+):(\d+)$/.exec(line);
    if (!match) continue;
    const [, name, file, row, column] = match;
    if (!file.startsWith(scriptName)) continue;
    const shown = file === scriptName ? Number(row) - (FUNCTION_BODY_LINE - 1) : Number(row);
    const where = `${file}:${shown}:${column}`;
    frames.push(name && name !== 'anonymous' ? `    at ${name} (${where})` : `    at ${where}`);
  }
  const more = frames.length > STACK_FRAMES ? [`    ... ${frames.length - STACK_FRAMES} more`] : [];
  return [header, ...frames.slice(0, STACK_FRAMES), ...more].join('\n') + '\n';
}

// ---- the command ----------------------------------------------------------

function usage(message) {
  writeStream(getStderr, `js: ${message}\nusage: js script.js [args...] | js -e CODE [args...] | js - [args...]\n`);
  exit(2);
}

function readStdinBytes() {
  const stream = getStdin();
  const chunks = [];
  try {
    for (;;) chunks.push(stream.blockingRead(65536n));
  } catch {
    // closed: end of input
  } finally {
    stream[Symbol.dispose]?.();
  }
  return concat(chunks);
}

function readStdin() {
  return decoder.decode(readStdinBytes());
}

function parseCommand(argv) {
  const [program = 'js', first, ...rest] = argv;
  if (first === '--version' || first === '-v') return { version: true, program };
  if (first === '-e' || first === '--eval') {
    if (rest.length === 0) usage(`${first} requires an argument`);
    const [code, ...args] = rest;
    return { program, name: '[eval]', source: () => code, args, argv: [program, ...args] };
  }
  if (first === undefined || first === '-') {
    return { program, name: '[stdin]', source: readStdin, args: rest, argv: [program, ...rest] };
  }
  if (first.startsWith('-') && first !== '--') usage(`unknown option ${first}`);
  const [script, ...args] = first === '--' ? rest : [first, ...rest];
  if (script === undefined) usage('no script given');
  return {
    program,
    name: script,
    source: () => {
      try {
        return readFile(script);
      } catch (error) {
        writeStream(getStderr, `js: cannot read ${script}: ${error.message}\n`);
        exit(1);
      }
    },
    args,
    argv: [program, script, ...args],
  };
}

function installGlobals(command) {
  const env = Object.fromEntries(getEnvironment());
  const process = {
    argv: command.argv,
    env,
    exitCode: undefined,
    exit: (code) => exit(code ?? process.exitCode ?? 0),
    cwd,
    platform: 'wasi',
    stdout: { write: (text) => writeStream(getStdout, text) },
    stderr: { write: (text) => writeStream(getStderr, text) },
  };
  const fsModule = {
    readFileSync: (path, options) => {
      const encoding = typeof options === 'string' ? options : options?.encoding;
      return encoding ? readFile(path) : readFile(path, null);
    },
    writeFileSync: (path, data) => writeFile(path, data),
    appendFileSync: (path, data) => appendFile(path, data),
    existsSync: exists,
    readdirSync: readDir,
    mkdirSync: (path) => mkdir(path),
  };
  const modules = { fs: fsModule, 'node:fs': fsModule, process, 'node:process': process };
  const require = (name) => {
    if (Object.hasOwn(modules, name)) return modules[name];
    const error = new Error(`Cannot find module '${name}' (goodbot js provides only: fs, process)`);
    error.code = 'MODULE_NOT_FOUND';
    throw error;
  };
  Object.assign(globalThis, {
    args: command.args,
    readFile,
    writeFile,
    appendFile,
    readDir,
    exists,
    mkdir,
    exit,
    process,
    require,
  });
  return process;
}

async function main() {
  const command = parseCommand(getArguments());
  if (command.version) {
    writeStream(getStdout, `${VERSION}\n`);
    exit(0);
  }
  const process = installGlobals(command);
  trackTimers(command.name);
  trackHostIo();
  const source = command.source();
  let body;
  try {
    const AsyncFunction = (async () => {}).constructor;
    body = new AsyncFunction(`${source.replace(/^#!.*/, '')}\n//# sourceURL=${command.name}`);
  } catch (error) {
    // A syntax error: SpiderMonkey gives its line in the function's source.
    const line = Number(error?.lineNumber) - (FUNCTION_BODY_LINE - 1);
    const where = line > 0 ? `${command.name}:${line}:${error.columnNumber ?? 0}` : command.name;
    writeStream(getStderr, `${where}: ${error?.name ?? 'Error'}: ${error?.message ?? error}\n`);
    exit(1);
  }
  try {
    await body();
    await settlePending();
  } catch (error) {
    writeStream(getStderr, describe(error, command.name));
    exit(1);
  }
  exit(process.exitCode ?? 0);
}

export const run = {
  async run() {
    try {
      await main();
    } catch (error) {
      writeStream(getStderr, `js: internal error: ${describe(error, '')}`);
      exit(70);
    }
  },
};
