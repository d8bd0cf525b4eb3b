import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type RunResult, type SandboxConfig } from '../../src/node/index.js';
import { busyboxApplets, findRecipe } from '../../src/tools/catalog.js';
import { ToolStore } from '../../src/node/tools/tool-store.js';
import { makeTree, removeTree, tempDir } from '../helpers/guests.js';

/**
 * Every tool of the default catalog doing a real task against zones. The
 * catalog is built by `npm test`'s setup (wasm-tools/setup.sh).
 */
let root: string;
let zones: SandboxConfig;

beforeAll(() => {
  root = tempDir('goodbot-tools-');
  makeTree(root, {
    'in/people.csv': 'name,age,city\nAda,36,London\nGrace,45,Arlington\nLinus,28,Helsinki\n',
    'in/items.json': JSON.stringify({
      items: [
        { id: 1, name: 'bolt', price: 0.25, tags: ['metal'] },
        { id: 2, name: 'gear', price: 12.5, tags: ['metal', 'moving'] },
        { id: 3, name: 'belt', price: 7, tags: ['rubber', 'moving'] },
      ],
    }),
    'in/words.txt': 'pear\napple\npear\nfig\napple\npear\n',
    'in/tree/a.txt': 'nothing here\nneedle in a\n',
    'in/tree/sub/b.md': 'needle in b\n',
    'in/tree/sub/deeper/c.txt': 'no match\n',
    'in/binary.bin': Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7) % 256)).toString('latin1'),
    out: null,
  });
  zones = {
    zones: [
      { name: 'input', mode: 'ro', hostPath: join(root, 'in') },
      { name: 'output', mode: 'rw', hostPath: join(root, 'out') },
    ],
  };
});

afterAll(() => removeTree(root));

async function run(program: string, args: string[], stdin?: string, config: SandboxConfig = zones): Promise<RunResult> {
  return createSandbox(config).exec({ program, args, ...(stdin !== undefined && { stdin }) }).result;
}

const output = (name: string) => readFileSync(join(root, 'out', name), 'utf8');

describe('busybox applets', () => {
  it("sort | uniq -c as two runs, the first run's output the second's stdin", async () => {
    const sorted = await run('sort', ['/input/words.txt']);
    expect(sorted.exitCode).toBe(0);
    const counted = await run('uniq', ['-c'], sorted.stdout);
    expect(counted.stdout.split('\n').map((line) => line.trim())).toEqual(['2 apple', '1 fig', '3 pear', '']);
  });

  it("sha256sum matches the host's sha256sum", async () => {
    const result = await run('sha256sum', ['/input/binary.bin']);
    const host = createHash('sha256')
      .update(readFileSync(join(root, 'in', 'binary.bin')))
      .digest('hex');
    expect(result.stdout).toBe(`${host}  /input/binary.bin\n`);
  });

  it('find, grep, wc, and writes with cp/sed into the output zone', async () => {
    expect((await run('find', ['/input/tree', '-name', '*.txt'])).stdout.split('\n').sort().filter(Boolean)).toEqual([
      '/input/tree/a.txt',
      '/input/tree/sub/deeper/c.txt',
    ]);
    expect((await run('grep', ['-rl', 'needle', '/input/tree'])).stdout.split('\n').sort().filter(Boolean)).toEqual([
      '/input/tree/a.txt',
      '/input/tree/sub/b.md',
    ]);
    expect((await run('wc', ['-l', '/input/words.txt'])).stdout).toBe('6 /input/words.txt\n');
    // -l and -c count in blocks (recipes/busybox/patches/wc-lines-fast.patch): the same counts as the per-byte loop.
    const counts = (name: string) => {
      const bytes = readFileSync(join(root, 'in', name));
      return [bytes.filter((byte) => byte === 10).length, bytes.length];
    };
    const [wordLines, wordBytes] = counts('words.txt');
    const [binaryLines, binaryBytes] = counts('binary.bin');
    const line = (lines: number, bytes: number, name: string) => `${String(lines).padStart(9)} ${String(bytes).padStart(9)} ${name}\n`;
    expect((await run('wc', ['-lc', '/input/words.txt', '/input/binary.bin'])).stdout).toBe(
      line(wordLines!, wordBytes!, '/input/words.txt') +
        line(binaryLines!, binaryBytes!, '/input/binary.bin') +
        line(wordLines! + binaryLines!, wordBytes! + binaryBytes!, 'total'),
    );
    expect((await run('wc', ['-l'], 'one\ntwo\nno newline at the end')).stdout).toBe('2\n');
    expect((await run('wc', ['-lw'], 'one two\nthree')).stdout).toBe('        1         3\n');
    expect((await run('cp', ['/input/words.txt', '/output/words.txt'])).exitCode).toBe(0);
    expect((await run('sed', ['-i', 's/pear/PEAR/g', '/output/words.txt'])).exitCode).toBe(0);
    expect(output('words.txt')).toBe('PEAR\napple\nPEAR\nfig\napple\nPEAR\n');
  });

  it('attack: writing into the read-only zone fails inside the guest, not in the host', async () => {
    const result = await run('touch', ['/input/new-file']);
    expect(result.exitCode).not.toBe(0);
    expect(result.status).toBe('exited');
    expect(result.denials.some((denial) => denial.reason === 'read-only-zone')).toBe(true);
  });
});

describe('python3', () => {
  it('reads a CSV from /input and writes JSON to /output', async () => {
    const script = [
      'import csv, json',
      'with open("/input/people.csv", newline="") as f:',
      '    rows = [dict(r, age=int(r["age"])) for r in csv.DictReader(f)]',
      'with open("/output/people.json", "w") as f:',
      '    json.dump({"count": len(rows), "people": rows}, f)',
      'print(sum(r["age"] for r in rows))',
    ].join('\n');
    const result = await run('python3', ['-c', script]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('109\n');
    const written = JSON.parse(output('people.json')) as { count: number; people: { name: string; age: number }[] };
    expect(written.count).toBe(3);
    expect(written.people[0]).toEqual({ name: 'Ada', age: 36, city: 'London' });
    expect(written.people.map((person) => person.age)).toEqual([36, 45, 28]);
  });

  it('has re, hashlib, zlib and sqlite3 working', async () => {
    const script = [
      'import re, hashlib, zlib, sqlite3',
      'print(re.findall(r"\\d+", "a1b22c333"))',
      'print(hashlib.sha256(b"abc").hexdigest()[:16], hashlib.md5(b"abc").hexdigest()[:8])',
      'print(len(zlib.compress(b"x" * 1000)) < 50)',
      'db = sqlite3.connect(":memory:"); db.execute("create table t(x)"); db.execute("insert into t values (42)")',
      'print(db.execute("select x * 2 from t").fetchone()[0])',
    ].join('\n');
    const result = await run('python3', ['-c', script]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe("['1', '22', '333']\nba7816bf8f01cfea 90015098\nTrue\n84\n");
  });

  it('runs a script from stdin', async () => {
    expect((await run('python3', ['-'], 'print(6 * 7)\n')).stdout).toBe('42\n');
  });

  it("names the errno in an OSError's message (WASI's numbers are not Linux's: ENOENT is 44)", async () => {
    const result = await run('python3', [
      '-c',
      'import errno\ntry:\n    open("/input/missing")\nexcept OSError as e:\n    print(e, e.errno == errno.ENOENT)',
    ]);
    expect(result.stdout).toBe("[Errno ENOENT] No such file or directory: '/input/missing' True\n");
  });
});

describe('python3 as the attacker', () => {
  const attempt = async (code: string) => {
    const result = await run('python3', ['-c', code]);
    expect(result.status).toBe('exited');
    return result.stdout.trim();
  };
  const tryIt = (body: string) => `try:\n    ${body}\nexcept OSError as e:\n    print(type(e).__name__)`;

  it('attack: open("/etc/passwd") finds no such file outside the zones', async () => {
    expect(await attempt(tryIt('print(open("/etc/passwd").read()[:20])'))).toMatch(/^(FileNotFoundError|PermissionError)$/);
  });

  it('attack: "../" out of a zone is refused', async () => {
    expect(await attempt(tryIt('print(open("/input/../../etc/passwd").read()[:20])'))).toMatch(/^(FileNotFoundError|PermissionError)$/);
  });

  it('attack: os.listdir("/") shows the mount points and nothing of the host', async () => {
    const listed = await attempt(tryIt('print(sorted(os.listdir("/")))').replace('try:', 'import os\ntry:'));
    expect(listed).toBe("['dev', 'input', 'output', 'usr']");
  });

  it('attack: os.environ holds none of the host variables', async () => {
    const seen = await attempt('import os, json; print(json.dumps(sorted(os.environ)))');
    const names = JSON.parse(seen) as string[];
    for (const name of ['PATH', 'HOME', 'USER']) expect(names).not.toContain(name);
  });

  it('attack: writing into the read-only /input raises, and the host folder is unchanged', async () => {
    expect(await attempt(tryIt('open("/input/people.csv", "w").write("pwned")'))).toMatch(/^(OSError|PermissionError)$/);
    expect(readFileSync(join(root, 'in', 'people.csv'), 'utf8')).toContain('Ada,36');
  });

  it('attack: the stdlib mount is read-only too', async () => {
    expect(await attempt(tryIt('open("/usr/local/lib/evil.py", "w").write("x")'))).toMatch(/^(OSError|PermissionError)$/);
  });
});

describe('jq', () => {
  it('filters a JSON file from /input', async () => {
    const result = await run('jq', ['-r', '.items[] | select(.price > 1) | "\\(.name)=\\(.price)"', '/input/items.json']);
    expect(result.stdout).toBe('gear=12.5\nbelt=7\n');
  });

  it('takes --arg and matches regular expressions', async () => {
    const result = await run('jq', [
      '-c',
      '--arg',
      'tag',
      'moving',
      '[.items[] | select(.tags | index($tag)) | .name | select(test("^g"))]',
      '/input/items.json',
    ]);
    expect(result.stdout).toBe('["gear"]\n');
  });
});

describe('sqlite3', () => {
  it("creates a database in /output that the host's sqlite3 can open", async () => {
    const sql = "create table t(id integer primary key, name text); insert into t(name) values ('a'),('b'),('c'); select count(*) from t;";
    const result = await run('sqlite3', ['/output/test.db', sql]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('3\n');
    const host = execFileSync('sqlite3', [join(root, 'out', 'test.db'), 'select group_concat(name) from t;'], { encoding: 'utf8' });
    expect(host).toBe('a,b,c\n');
    expect((await run('sqlite3', ['/output/test.db', 'select name from t where id = 2;'])).stdout).toBe('b\n');
  });
});

describe('lua, ruby and js', () => {
  it('lua reads a file and writes a result', async () => {
    const code =
      'local n = 0 for _ in io.lines("/input/words.txt") do n = n + 1 end local f = assert(io.open("/output/lua.txt", "w")) f:write(n, "\\n") f:close() print(n)';
    const result = await run('lua', ['-e', code]);
    expect(result.stdout).toBe('6\n');
    expect(output('lua.txt')).toBe('6\n');
  });

  it('ruby reads a file and writes a result', async () => {
    const code =
      'words = File.readlines("/input/words.txt", chomp: true); File.write("/output/ruby.txt", words.tally.sort.map { |w, n| "#{w}:#{n}" }.join(",")); puts words.uniq.size';
    const result = await run('ruby', ['-e', code]);
    expect(result.stdout).toBe('3\n');
    expect(output('ruby.txt')).toBe('apple:2,fig:1,pear:3');
  });

  it('js reads a file and writes a result', async () => {
    const code =
      'const words = readFile("/input/words.txt").trim().split("\\n"); writeFile("/output/js.txt", String(new Set(words).size)); console.log(words.length)';
    const result = await run('js', ['-e', code]);
    expect(result.stdout).toBe('6\n');
    expect(output('js.txt')).toBe('3');
  });
});

describe('rg', () => {
  it('finds a pattern across a tree, with line numbers, and exits 1 when nothing matches', async () => {
    const result = await run('rg', ['-n', '--sort', 'path', 'needle', '/input/tree']);
    expect(result.stdout).toBe('/input/tree/a.txt:2:needle in a\n/input/tree/sub/b.md:1:needle in b\n');
    expect((await run('rg', ['haystack', '/input/tree'])).exitCode).toBe(1);
  });

  it('searches from / through the zones', async () => {
    const result = await run('rg', ['-l', '--sort', 'path', 'needle', '/']);
    expect(result.stdout).toBe('/input/tree/a.txt\n/input/tree/sub/b.md\n');
  });

  it('`rg PATTERN` without a path or a stdin searches its working folder (the zones, from /), as native `rg PATTERN < /dev/null` does', async () => {
    const result = await createSandbox(zones).exec({ program: 'rg', args: ['-l', '--sort', 'path', 'needle'] }).result;
    expect(result).toMatchObject({ status: 'exited', exitCode: 0 });
    expect(result.stdout).toBe('input/tree/a.txt\ninput/tree/sub/b.md\n');
  });

  it('`rg PATTERN` with a stdin given searches the stdin (a pipe)', async () => {
    const result = await createSandbox(zones).exec({ program: 'rg', args: ['needle'], stdin: 'a needle from stdin\nhay\n' }).result;
    expect(result.stdout).toBe('a needle from stdin\n');
  });
});

describe('stdin as the guest sees it', () => {
  const fd0 =
    'import os, stat, sys; mode = os.fstat(0).st_mode; print(stat.S_ISCHR(mode), stat.S_ISFIFO(mode) or stat.S_ISREG(mode), os.isatty(0), sys.stdin.seekable())';

  it('is /dev/null when the caller gives none: a character device, no terminal, seekable', async () => {
    expect((await run('python3', ['-c', fd0])).stdout).toBe('True False False True\n');
  });

  it('is a pipe when the caller gives bytes: no character device, no terminal, not seekable', async () => {
    expect((await run('python3', ['-c', fd0], '')).stdout).toBe('False False False False\n');
  });
});

describe('the busybox build', () => {
  it('has every applet the catalog offers', () => {
    const store = new ToolStore();
    const built = readFileSync(join(store.buildDir(findRecipe('busybox')!), 'applets.txt'), 'utf8').split('\n');
    expect(busyboxApplets.filter((applet) => !built.includes(applet))).toEqual([]);
  });
});

describe('the catalog metered', () => {
  // Fuel, a deadline and a memory cap on: every tool is instrumented, and must give the same answers.
  const limits = { fuel: 100_000_000_000, timeout: '120s', memory: '1GiB' };
  const cases: [string, string[], string?][] = [
    ['python3', ['-c', 'import csv, json, hashlib; print(len(list(csv.reader(open("/input/people.csv")))), hashlib.sha256(b"abc").hexdigest()[:8])']],
    ['jq', ['-c', '[.items[].name]', '/input/items.json']],
    ['lua', ['-e', 'local n = 0 for _ in io.lines("/input/words.txt") do n = n + 1 end print(n)']],
    ['sqlite3', [':memory:', 'select 6 * 7;']],
    ['sort', ['/input/words.txt']],
    ['sha256sum', ['/input/binary.bin']],
    ['rg', ['-n', '--sort', 'path', 'needle', '/input/tree']],
    ['ruby', ['-e', 'puts File.readlines("/input/words.txt").tally.size']],
    ['js', ['-e', 'console.log(readFile("/input/words.txt").split("\\n").filter(Boolean).sort().join(","))']],
  ];
  for (const [program, args] of cases) {
    it(`${program} gives the same output with limits on`, async () => {
      const plain = await run(program, args);
      const metered = await run(program, args, undefined, { ...zones, limits });
      expect(metered.status).toBe('exited');
      expect(metered.stdout).toBe(plain.stdout);
      expect(metered.stderr).toBe(plain.stderr);
      expect(metered.exitCode).toBe(plain.exitCode);
      expect(metered.fuelConsumed).toBeGreaterThan(0);
    });
  }
});
