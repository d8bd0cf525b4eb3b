import { describe, expect, it } from 'vitest';
import { Authority } from '../../../src/policy/authority.js';
import type { ZoneSpec } from '../../../src/policy/types.js';
import type { WasiClock } from '../../../src/limits/clock.js';
import { ProcessExit, type WasiContext } from '../../../src/wasi/common/context.js';
import { BufferedInput, brokenPipe, CallbackOutput } from '../../../src/wasi/common/stdio.js';
import type { Descriptor, DirectoryEntryStream } from '../../../src/wasi/preview2/filesystem.js';
import type { Fields } from '../../../src/wasi/preview2/http-fields.js';
import type { OutgoingRequest } from '../../../src/wasi/preview2/http-outgoing.js';
import { createPreview2Imports, providedImports } from '../../../src/wasi/preview2/index.js';
import type { Pollable } from '../../../src/wasi/preview2/poll.js';
import type { InputStream, OutputStream } from '../../../src/wasi/preview2/streams.js';
import { Volume } from 'memfs';
import { MemoryFolderStore } from '../../../src/zones/memory-folder.js';
import { ZoneVolume } from '../../../src/zones/zone-volume.js';
import { thrown } from '../../helpers/thrown.js';

/*
 * The preview2 face called directly, as jco's glue calls it: the parts a
 * preview1 program behind the adapter never reaches (descriptor read/write
 * with offsets, stream states, timers, http fields) and the error values.
 */

/** A clock that only moves when the guest sleeps. */
class FakeClock implements WasiClock {
  readonly resolutionNs = 1n;
  now = 1_000n;
  slept: bigint[] = [];
  wallNs(): bigint {
    return 1_700_000_000_123_456_789n;
  }
  monotonicNs(): bigint {
    return this.now;
  }
  sleep(ns: bigint): void {
    this.slept.push(ns);
    this.now += ns;
  }
}

function setup(options: { access?: 'ro' | 'rw'; stdout?: CallbackOutput | typeof brokenPipe } = {}) {
  const authority = new Authority();
  const spec: ZoneSpec = { name: 'work', kind: 'memory', access: options.access ?? 'rw', guestPath: '/work' };
  const volume = new ZoneVolume(spec, new MemoryFolderStore(Volume, { 'a.txt': 'abcdef', 'sub/b.txt': 'b' }), authority);
  const out: Uint8Array[] = [];
  const clock = new FakeClock();
  const ctx: WasiContext = {
    args: ['tool', 'x'],
    env: [['K', 'v']],
    cwd: '/work',
    preopens: [{ guestPath: '/work', dir: volume.root }],
    volumes: [volume],
    stdin: new BufferedInput(new TextEncoder().encode('in')),
    stdout: options.stdout ?? new CallbackOutput((chunk) => out.push(chunk)),
    stderr: new CallbackOutput(() => {}),
    clock,
    random: { fill: (into) => into.fill(7) },
    authority,
  };
  const imports = createPreview2Imports(ctx);
  const call = <T>(iface: string, name: string, ...args: unknown[]): T => (imports[iface]![name] as (...a: unknown[]) => T)(...args);
  const root = call<[Descriptor, string][]>('wasi:filesystem/preopens', 'getDirectories')[0]![0];
  return { imports, call, root, out, clock, authority, volume };
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const bytes = (s: string) => new TextEncoder().encode(s);
const rw = { read: true, write: true };

describe('wasi:filesystem', () => {
  it('reads and writes at offsets, and reports the end of the file', () => {
    const { root } = setup();
    const file = root.openAt({}, 'a.txt', {}, rw);
    expect(file.getType()).toBe('regular-file');
    expect(file.getFlags()).toEqual({ read: true, write: true });
    const [head, headEnd] = file.read(3n, 0n);
    expect([text(head), headEnd]).toEqual(['abc', false]);
    expect(file.write(bytes('XY'), 4n)).toBe(2n);
    expect(text(file.read(100n, 0n)[0])).toBe('abcdXY');
    expect(file.read(10n, 6n)[1]).toBe(true);
    file.setSize(2n);
    expect(file.stat()).toMatchObject({ type: 'regular-file', size: 2n, linkCount: 1n });
  });

  it('keeps positions in the streams, and appends at the end', () => {
    const { root } = setup();
    const file = root.openAt({}, 'a.txt', {}, rw);
    const input: InputStream = file.readViaStream(2n);
    expect(text(input.read(2n))).toBe('cd');
    expect(text(input.blockingRead(10n))).toBe('ef');
    expect(thrown(() => input.read(1n))).toEqual({ tag: 'closed' });
    const output: OutputStream = file.writeViaStream(1n);
    output.write(bytes('12'));
    output.blockingWriteAndFlush(bytes('3'));
    file.appendViaStream().blockingWriteAndFlush(bytes('!'));
    expect(text(file.read(100n, 0n)[0])).toBe('a123ef!');
  });

  it('creates, lists, links, renames and removes through path operations', () => {
    const { root } = setup();
    root.createDirectoryAt('dir');
    const created = root.openAt({}, 'dir/new.txt', { create: true, exclusive: true }, { write: true });
    created.write(bytes('new'), 0n);
    root.linkAt({}, 'dir/new.txt', root, 'hard.txt');
    expect(root.isSameObject(root.openAt({}, 'hard.txt', {}, { read: true }))).toBe(false);
    expect(created.isSameObject(root.openAt({}, 'hard.txt', {}, { read: true }))).toBe(true);
    expect(root.statAt({}, 'hard.txt').linkCount).toBe(2n);
    root.symlinkAt('a.txt', 'link');
    expect(root.readlinkAt('link')).toBe('a.txt');
    expect(root.statAt({}, 'link').type).toBe('symbolic-link');
    expect(root.statAt({ symlinkFollow: true }, 'link').type).toBe('regular-file');
    root.renameAt('hard.txt', root, 'moved.txt');
    const listing: DirectoryEntryStream = root.readDirectory();
    const names: string[] = [];
    for (let entry = listing.readDirectoryEntry(); entry; entry = listing.readDirectoryEntry()) names.push(entry.name);
    expect(names.sort()).toEqual(['a.txt', 'dir', 'link', 'moved.txt', 'sub']);
    root.unlinkFileAt('moved.txt');
    expect(thrown(() => root.removeDirectoryAt('dir'))).toBe('not-empty');
    root.unlinkFileAt('dir/new.txt');
    root.removeDirectoryAt('dir');
    expect(thrown(() => root.statAt({}, 'dir'))).toBe('no-entry');
  });

  it('reports identity as stat does, for metadata-hash and readdir alike', () => {
    const { root, volume } = setup();
    const file = root.openAt({}, 'a.txt', {}, { read: true });
    const stat = volume.statAt(volume.root, 'a.txt', false);
    expect(file.metadataHash()).toEqual({ lower: stat.ino, upper: stat.dev });
    expect(root.metadataHashAt({}, 'a.txt')).toEqual(file.metadataHash());
    expect(root.metadataHash()).not.toEqual(file.metadataHash());
  });

  it('fails as wasmtime does: error codes, wrong descriptor kinds, bad flags', () => {
    const { root } = setup();
    const file = root.openAt({}, 'a.txt', {}, { read: true });
    expect(thrown(() => root.openAt({}, 'missing', {}, { read: true }))).toBe('no-entry');
    expect(thrown(() => root.openAt({}, 'a.txt', { create: true, exclusive: true }, rw))).toBe('exist');
    expect(thrown(() => root.openAt({}, 'a.txt', { directory: true }, { read: true }))).toBe('not-directory');
    expect(thrown(() => root.openAt({}, 'sub', { directory: true, create: true }, { read: true }))).toBe('invalid');
    expect(thrown(() => root.openAt({}, 'a.txt', {}, { read: true, dataIntegritySync: true }))).toBe('unsupported');
    expect(thrown(() => root.openAt({}, 'sub', {}, rw))).toBe('is-directory');
    expect(thrown(() => root.openAt({}, '../outside', {}, { read: true }))).toBe('not-permitted');
    expect(thrown(() => root.openAt({}, '/etc/passwd', {}, { read: true }))).toBe('not-permitted');
    expect(thrown(() => file.statAt({}, 'x'))).toBe('not-directory');
    expect(thrown(() => root.read(1n, 0n))).toBe('bad-descriptor');
    expect(thrown(() => file.write(bytes('x'), 0n))).toBe('bad-descriptor');
    expect(thrown(() => file.writeViaStream(0n))).toBe('bad-descriptor');
    expect(thrown(() => root.linkAt({ symlinkFollow: true }, 'a.txt', root, 'l'))).toBe('invalid');
  });

  it('refuses changes to a read-only zone with read-only, and records them', () => {
    const { root, authority } = setup({ access: 'ro' });
    expect(root.getFlags()).toEqual({ read: true, mutateDirectory: false });
    expect(thrown(() => root.openAt({}, 'a.txt', {}, rw))).toBe('read-only');
    expect(thrown(() => root.createDirectoryAt('d'))).toBe('read-only');
    expect(thrown(() => root.unlinkFileAt('a.txt'))).toBe('read-only');
    expect(authority.denials.map((d) => d.operation)).toEqual(['open-write', 'mkdir', 'unlink']);
  });

  it('closes what the guest drops, except the zone root', () => {
    const { imports, root, volume } = setup();
    const file = root.openAt({}, 'a.txt', {}, { read: true });
    file[Symbol.dispose]();
    expect(file.node.closed).toBe(true);
    root[Symbol.dispose]();
    expect(volume.root.closed).toBe(false);
    const filesystemErrorCode = imports['wasi:filesystem/types']!['filesystemErrorCode'] as (e: unknown) => unknown;
    const failure = thrown(() => file.readViaStream(0n).read(1n)) as { tag: string; val: unknown };
    expect(failure.tag).toBe('last-operation-failed');
    expect(filesystemErrorCode(failure.val)).toBe('bad-descriptor');
    expect(filesystemErrorCode({})).toBeUndefined();
  });
});

describe('wasi:io streams', () => {
  it('turns a failed write into last-operation-failed with an error-code, then closed', () => {
    const { call, imports } = setup({ stdout: brokenPipe });
    const stdout = call<OutputStream>('wasi:cli/stdout', 'getStdout');
    const failure = thrown(() => stdout.blockingWriteAndFlush(bytes('x'))) as { tag: string; val: unknown };
    expect(failure.tag).toBe('last-operation-failed');
    const code = (imports['wasi:filesystem/types']!['filesystemErrorCode'] as (e: unknown) => unknown)(failure.val);
    expect(code).toBe('pipe');
    expect(thrown(() => stdout.checkWrite())).toEqual({ tag: 'closed' });
  });

  it('traps on a write beyond what check-write allows', () => {
    const { call } = setup();
    const stdout = call<OutputStream>('wasi:cli/stdout', 'getStdout');
    const permit = stdout.checkWrite();
    expect(thrown(() => stdout.write(new Uint8Array(Number(permit) + 1)))).toBeInstanceOf(WebAssembly.RuntimeError);
  });

  it('reads stdin to its end, then reports closed', () => {
    const { call } = setup();
    const stdin = call<InputStream>('wasi:cli/stdin', 'getStdin');
    expect(stdin.read(0n)).toHaveLength(0);
    expect(text(stdin.read(10n))).toBe('in');
    expect(thrown(() => stdin.read(10n))).toEqual({ tag: 'closed' });
  });

  it('splices between streams', () => {
    const { call, root, out } = setup();
    const stdout = call<OutputStream>('wasi:cli/stdout', 'getStdout');
    const input = root.openAt({}, 'a.txt', {}, { read: true }).readViaStream(0n);
    expect(stdout.splice(input, 4n)).toBe(4n);
    expect(text(out[0]!)).toBe('abcd');
  });
});

describe('wasi:io poll and wasi:clocks', () => {
  it('sleeps on the run clock until the first timer is due', () => {
    const { imports, call, clock } = setup();
    const later = call<Pollable>('wasi:clocks/monotonic-clock', 'subscribeDuration', 500n);
    const sooner = call<Pollable>('wasi:clocks/monotonic-clock', 'subscribeInstant', 1_200n);
    const stream = call<InputStream>('wasi:cli/stdin', 'getStdin').subscribe();
    const poll = imports['wasi:io/poll']!['poll'] as (list: Pollable[]) => Uint32Array;
    expect([...poll([later, stream])]).toEqual([1]);
    expect(clock.slept).toEqual([]);
    expect([...poll([later, sooner])]).toEqual([1]);
    expect(clock.slept).toEqual([200n]);
    later.block();
    expect(clock.now).toBe(1_500n);
    expect(later.ready()).toBe(true);
    expect(thrown(() => poll([]))).toBeInstanceOf(WebAssembly.RuntimeError);
  });

  it('reads the wall clock of the run', () => {
    const { call } = setup();
    expect(call('wasi:clocks/wall-clock', 'now')).toEqual({ seconds: 1_700_000_000n, nanoseconds: 123_456_789 });
    expect(call('wasi:clocks/timezone', 'utcOffset')).toBe(0);
  });
});

describe('wasi:cli and wasi:random', () => {
  it('gives arguments, environment, cwd, and exits by throwing ProcessExit', () => {
    const { call } = setup();
    expect(call('wasi:cli/environment', 'getArguments')).toEqual(['tool', 'x']);
    expect(call('wasi:cli/environment', 'getEnvironment')).toEqual([['K', 'v']]);
    expect(call('wasi:cli/environment', 'initialCwd')).toBe('/work');
    expect(call('wasi:cli/terminal-stdout', 'getTerminalStdout')).toBeUndefined();
    expect(thrown(() => call('wasi:cli/exit', 'exitWithCode', 7))).toEqual(new ProcessExit(7));
    expect(thrown(() => call('wasi:cli/exit', 'exit', { tag: 'err' }))).toEqual(new ProcessExit(1));
  });

  it('draws every kind of randomness from the run source', () => {
    const { call } = setup();
    expect([...call<Uint8Array>('wasi:random/random', 'getRandomBytes', 3n)]).toEqual([7, 7, 7]);
    expect(call('wasi:random/insecure', 'getInsecureRandomU64')).toBe(0x0707070707070707n);
    expect(call('wasi:random/insecure-seed', 'insecureSeed')).toEqual([0x0707070707070707n, 0x0707070707070707n]);
  });
});

describe('wasi:sockets and wasi:http', () => {
  it('denies and records every way out', () => {
    const { call, authority } = setup();
    const network = call('wasi:sockets/instance-network', 'instanceNetwork');
    expect(thrown(() => call('wasi:sockets/tcp-create-socket', 'createTcpSocket', 'ipv6'))).toBe('access-denied');
    expect(thrown(() => call('wasi:sockets/udp-create-socket', 'createUdpSocket', 'ipv4'))).toBe('access-denied');
    expect(thrown(() => call('wasi:sockets/ip-name-lookup', 'resolveAddresses', network, 'localhost'))).toBe('access-denied');
    expect(authority.denials.map((d) => [d.operation, d.target, d.detail])).toEqual([
      ['tcp-create', 'ipv6', 'the run has no network'],
      ['udp-create', 'ipv4', 'the run has no network'],
      ['ip-name-lookup', 'localhost', 'the run has no network'],
    ]);
  });

  it('lets a guest build a request, and refuses to send it', () => {
    const { imports, call, authority } = setup();
    const types = imports['wasi:http/types']!;
    const FieldsClass = types['Fields'] as typeof Fields;
    const RequestClass = types['OutgoingRequest'] as typeof OutgoingRequest;
    const headers = FieldsClass.fromList([['Content-Type', bytes('text/plain')]]);
    expect(thrown(() => headers.append('bad name', bytes('x')))).toEqual({ tag: 'invalid-syntax' });
    expect(thrown(() => headers.append('connection', bytes('close')))).toEqual({ tag: 'forbidden' });
    headers.append('X-Trace', bytes('1'));
    const request = new RequestClass(headers);
    expect(request.setAuthority('intranet:8080')).toBeUndefined();
    expect(request.setPathWithQuery('/admin?key=secret')).toBeUndefined();
    expect(request.setScheme({ tag: 'HTTP' })).toBeUndefined();
    const view = request.headers();
    expect(view.get('content-type').map(text)).toEqual(['text/plain']);
    expect(thrown(() => view.set('x-trace', []))).toEqual({ tag: 'immutable' });
    expect(thrown(() => request.setMethod({ tag: 'other', val: 'BAD METHOD' }))).toBeUndefined();
    expect(request.method()).toEqual({ tag: 'get' });
    request.body();
    // A `result` without an error type: the glue turns a thrown undefined into `err`.
    expect(thrown(() => request.body())).toBeUndefined();
    expect(thrown(() => call('wasi:http/outgoing-handler', 'handle', request, undefined))).toEqual({
      tag: 'HTTP-request-denied',
    });
    expect(authority.denials).toEqual([
      {
        operation: 'http-request',
        target: 'http://intranet:8080/admin',
        reason: 'network-denied',
        error: 'access-denied',
        detail: 'the run has no network',
      },
    ]);
  });
});

describe('the import object', () => {
  it('offers the interfaces jco reads, and builds without reading the context', () => {
    const names = [...providedImports().keys()].sort();
    expect(names).toEqual(
      [
        'wasi:cli/environment',
        'wasi:cli/exit',
        'wasi:cli/stderr',
        'wasi:cli/stdin',
        'wasi:cli/stdout',
        'wasi:cli/terminal-input',
        'wasi:cli/terminal-output',
        'wasi:cli/terminal-stderr',
        'wasi:cli/terminal-stdin',
        'wasi:cli/terminal-stdout',
        'wasi:clocks/monotonic-clock',
        'wasi:clocks/timezone',
        'wasi:clocks/wall-clock',
        'wasi:filesystem/preopens',
        'wasi:filesystem/types',
        'wasi:http/outgoing-handler',
        'wasi:http/types',
        'wasi:io/error',
        'wasi:io/poll',
        'wasi:io/streams',
        'wasi:random/insecure',
        'wasi:random/insecure-seed',
        'wasi:random/random',
        'wasi:sockets/instance-network',
        'wasi:sockets/ip-name-lookup',
        'wasi:sockets/network',
        'wasi:sockets/tcp',
        'wasi:sockets/tcp-create-socket',
        'wasi:sockets/udp',
        'wasi:sockets/udp-create-socket',
      ].sort(),
    );
  });
});
