import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JsonlSessionIndex } from '../../../src/node/index.js';
import { removeTree, tempDir } from '../../helpers/guests.js';

const state = tempDir('goodbot-index-');
afterAll(() => removeTree(state));

/** This process's descriptors open on files under FOLDER. */
function openUnder(folder: string): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith(folder);
    } catch {
      return false;
    }
  }).length;
}

const command = (line: string) => ({
  command: line,
  startedAt: new Date().toISOString(),
  durationMs: 1,
  status: 'exited' as const,
  exitCode: 0,
  stdoutBytes: 0,
  stderrBytes: 0,
  denials: 0,
});

describe('the JSONL session index', () => {
  it('keeps every line, in order, of more sessions at once than it keeps files open, and closes a session’s file when it ends', async () => {
    const index = new JsonlSessionIndex(state);
    const ids = Array.from({ length: 12 }, () => crypto.randomUUID());
    for (const id of ids) await index.started({ id, policyDigest: 'sha256:x', startedAt: new Date().toISOString() });
    for (let round = 0; round < 3; round++) for (const id of ids) await index.commandRan(id, command(`echo ${round}`));
    expect(openUnder(index.folder)).toBeLessThanOrEqual(8);
    for (const id of ids) await index.closed(id);
    expect(openUnder(index.folder)).toBe(0);
    for (const id of ids) {
      const lines = await index.show(id);
      expect(lines.map((line) => (line.type === 'command' ? line.command : line.type))).toEqual(['session', 'echo 0', 'echo 1', 'echo 2', 'closed']);
    }
    expect((await index.list()).map((summary) => summary.id).sort()).toEqual([...ids].sort());
    expect(join(state, 'sessions')).toBe(index.folder);
  });
});
