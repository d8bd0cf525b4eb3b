import { closeSync, openSync } from 'node:fs';
import { writeAllSync } from '../platform/host-stdio.js';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GoodbotError } from '../../errors.js';
import { isSessionId, type CommandRecord, type SessionIndex, type SessionRecord } from '../../session/session-index.js';

/** One line of a session's file. */
export type SessionLine =
  | ({ readonly type: 'session' } & SessionRecord)
  | ({ readonly type: 'command' } & CommandRecord)
  | { readonly type: 'closed'; readonly at: string };

/** A session as `goodbot sessions list` shows it. */
export interface SessionSummary extends SessionRecord {
  /** ISO 8601: when its last command ended (or it started). */
  readonly lastUsedAt: string;
  readonly commands: number;
  readonly closedAt?: string;
}

/**
 * The session index on disk: `<state folder>/sessions/<id>.jsonl`, a line
 * for the session's start, one per command, one for its end. Appends only
 * (a line is one write), so a crash loses at most the line being written,
 * and two processes never share a file (ids are unique).
 */
export class JsonlSessionIndex implements SessionIndex {
  readonly folder: string;
  /** The files of the sessions written last, kept open: a command's line is then one write. */
  private readonly files = new OpenFiles(8);

  constructor(stateFolder: string) {
    this.folder = join(stateFolder, 'sessions');
  }

  async started(session: SessionRecord): Promise<void> {
    await mkdir(this.folder, { recursive: true, mode: 0o700 });
    await this.append(session.id, { type: 'session', ...session });
  }

  commandRan(id: string, command: CommandRecord): Promise<void> {
    return this.append(id, { type: 'command', ...command });
  }

  async closed(id: string): Promise<void> {
    try {
      await this.append(id, { type: 'closed', at: new Date().toISOString() });
    } finally {
      this.files.close(id);
    }
  }

  /** Every recorded session, newest first. */
  async list(): Promise<SessionSummary[]> {
    let names: string[];
    try {
      names = await readdir(this.folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const summaries: SessionSummary[] = [];
    for (const name of names.filter((file) => file.endsWith('.jsonl'))) {
      const summary = summarize(await this.lines(name.slice(0, -'.jsonl'.length)));
      if (summary !== undefined) summaries.push(summary);
    }
    return summaries.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
  }

  /** Session ID's lines: its start, commands and end. */
  async show(id: string): Promise<SessionLine[]> {
    if (!isSessionId(id)) throw new GoodbotError('usage', `'${id}' is not a session id`, { hint: 'goodbot sessions list shows them', path: id });
    try {
      return await this.lines(id);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      throw new GoodbotError('not-found', `no session ${id} in ${this.folder}`, { hint: 'goodbot sessions list shows them', path: id });
    }
  }

  private async lines(id: string): Promise<SessionLine[]> {
    const text = await readFile(join(this.folder, `${id}.jsonl`), 'utf8');
    const lines: SessionLine[] = [];
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        lines.push(JSON.parse(line) as SessionLine);
      } catch {
        // A line cut short by a crash: the rest still counts.
      }
    }
    return lines;
  }

  /**
   * Written at once, on this thread, to the session's file kept open (in
   * append mode, so a line is one write): a few microseconds, where the
   * promise API's open, write and close each took a trip to libuv's thread
   * pool and back, per command.
   */
  private append(id: string, line: SessionLine): Promise<void> {
    if (!isSessionId(id)) return Promise.reject(new GoodbotError('usage', `'${id}' is not a session id`, { path: id }));
    try {
      const bytes = Buffer.from(`${JSON.stringify(line)}\n`);
      const fd = this.files.open(id, () => openSync(join(this.folder, `${id}.jsonl`), 'a', 0o600));
      // O_APPEND: each write lands at the end.
      writeAllSync(fd, bytes);
      return Promise.resolve();
    } catch (error) {
      this.files.close(id);
      return Promise.reject(error as Error);
    }
  }
}

function summarize(lines: readonly SessionLine[]): SessionSummary | undefined {
  const start = lines.find((line) => line.type === 'session');
  if (start === undefined) return undefined;
  const { type: _type, ...record } = start;
  let lastUsedAt = record.startedAt;
  let commands = 0;
  let closedAt: string | undefined;
  for (const line of lines) {
    if (line.type === 'command') {
      commands++;
      lastUsedAt = new Date(Date.parse(line.startedAt) + line.durationMs).toISOString();
    } else if (line.type === 'closed') closedAt = line.at;
  }
  return { ...record, lastUsedAt, commands, ...(closedAt !== undefined && { closedAt }) };
}

/** At most LIMIT files open, by key; opening one more closes the one used longest ago. */
class OpenFiles {
  private readonly fds = new Map<string, number>();

  constructor(private readonly limit: number) {}

  open(key: string, open: () => number): number {
    let fd = this.fds.get(key);
    if (fd !== undefined) this.fds.delete(key);
    else {
      fd = open();
      for (const [oldest] of this.fds) {
        if (this.fds.size < this.limit) break;
        this.close(oldest);
      }
    }
    this.fds.set(key, fd); // most recent last
    return fd;
  }

  close(key: string): void {
    const fd = this.fds.get(key);
    if (fd === undefined) return;
    this.fds.delete(key);
    closeSync(fd);
  }
}
