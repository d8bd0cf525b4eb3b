import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSandbox } from '../../../src/node/index.js';
import { nodeAsNobody } from '../../helpers/cli.js';

/**
 * A container run's private files (its environment, with the run's secrets,
 * and its stdin) live on the host while the run lasts. The container's user
 * may be `nobody` (goodbot runs as root here), so a host process of that
 * user must not reach them; the container still reads them.
 */

const secret = `run-secret-${process.pid}-${Date.now()}`;

/** Every env file of a container run under the temp folder that holds SECRET (searched as root). */
function envFilesHolding(value: string): string[] {
  const found: string[] = [];
  const look = (dir: string, depth: number) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      if (name === 'env' && statSync(path).isFile() && readFileSync(path, 'utf8').includes(value)) found.push(path);
      else if (depth > 0 && name.startsWith(depth === 2 ? 'goodbot' : '') && statSync(path, { throwIfNoEntry: false })?.isDirectory())
        look(path, depth - 1);
    }
  };
  look(tmpdir(), 2);
  return found;
}

/** Reads PATH as uid/gid 65534 (nobody) with no supplementary groups: what any such host process could do. */
function readAsNobody(path: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', 'cat', path], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("a container run's env file", () => {
  it('attack: a host process running as the container user (nobody) cannot read the env file while the run lasts', async () => {
    expect(process.getuid?.()).toBe(0); // the case of the finding: goodbot as root, the container as nobody
    const run = createSandbox({ backend: 'docker', env: { set: { API_TOKEN: secret } } }).exec({
      program: 'sh',
      args: ['-c', 'printf "%s\\n" "$API_TOKEN"; sleep 3'],
    });
    let files: string[] = [];
    for (let i = 0; i < 100 && files.length === 0; i++) {
      files = envFilesHolding(secret);
      if (files.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(files).toHaveLength(1);
    const attempt = readAsNobody(files[0]!);
    const result = await run.result;
    expect(attempt.stdout).not.toContain(secret);
    expect(attempt.status).not.toBe(0);
    expect(attempt.stderr).toContain('Permission denied');
    // The container itself read it, and the files are gone with the run.
    expect(result.stdout).toBe(`${secret}\n`);
    expect(existsSync(files[0]!)).toBe(false);
  });
});

describe('a run by a user who is not root', () => {
  it.runIf(process.getuid?.() === 0)('makes its files as that user, its gate one it can hold open, readable by that user only', () => {
    // goodbot run by nobody: the container's user is goodbot's own, and goodbot holds the gate's write end open.
    const script = [
      "import { RunFiles } from '{view}/dist/node/docker/run-files.js';",
      "import { readFileSync, statSync } from 'node:fs';",
      "const files = new RunFiles({ TOKEN: 'x' }, new Uint8Array(0), { uid: process.getuid(), gid: process.getgid() });",
      'files.release();',
      'const gate = statSync(`${files.dir}/go`);',
      "console.log(gate.isFIFO(), (gate.mode & 0o777).toString(8), gate.uid === process.getuid(), readFileSync(`${files.dir}/env`, 'utf8').trim());",
      'files.remove();',
    ].join('\n');
    const run = nodeAsNobody('/', ['--input-type=module', '-e', script]);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe("true 400 true export TOKEN='x'\n");
  });
});
