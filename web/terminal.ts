import { Terminal } from '@xterm/xterm';
import type { RunResult } from '../src/browser/index.js';
import { defaultTimeoutMs } from './examples.js';
import { pagePolicy } from './policy-view.js';
import { RunClient } from './run-client.js';

/** Ends the line's own output: what follows it is the folder the shell ended in (see `wrapped`). */
const marker = '\x1e';

/**
 * LINE as the terminal runs it: an EXIT trap prints the marker and the
 * shell's folder last, whatever the line does (`exit 3` included), so the
 * next line starts where this one ended.
 */
function wrapped(line: string): string {
  return `trap 'printf "\\036%s" "$PWD"' EXIT\n${line}`;
}

/**
 * A terminal on the page: each line typed runs in goodbot's shell (`sh -c
 * LINE`) in a worker of its own, under the page's policy, with the page's
 * tools. The working folder and the files of `/output` carry from one line
 * to the next (text files: the zone takes text); variables do not, each
 * line being a shell of its own. Ctrl-C cancels a running line; the arrow
 * keys walk the history.
 */
export class PageTerminal {
  private readonly term = new Terminal({ convertEol: true, cursorBlink: true, fontSize: 13, rows: 18 });
  private readonly client: RunClient;
  private line = '';
  private readonly history: string[] = [];
  private historyAt = 0;
  private cwd = '/output';
  private outputFiles: Record<string, string> = {};
  private running = false;
  private ready = false;
  /** Stdout from the marker on, held back until the run ends. */
  private held: string | undefined;

  constructor(
    element: HTMLElement,
    /** The files of `/input`, as the page's editor has them now. */
    private readonly inputFiles: () => Record<string, string>,
  ) {
    this.term.open(element);
    this.term.write('goodbot shell over /input (read-only) and /output. Try: ls /input | wc -l\n');
    this.client = new RunClient(() => {
      this.ready = true;
      this.client.preload('sh');
      this.prompt();
    });
    this.term.onData((data) => this.receive(data));
  }

  /** Everything the terminal shows, line by line (for tests and copying). */
  text(): string {
    const buffer = this.term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i)?.translateToString(true) ?? '');
    return lines.join('\n').trimEnd();
  }

  private prompt(): void {
    this.term.write(`\x1b[32mgoodbot\x1b[0m:\x1b[34m${this.cwd}\x1b[0m$ `);
  }

  private receive(data: string): void {
    if (this.running) {
      if (data === '\x03') this.client.cancel();
      return;
    }
    if (!this.ready) return;
    if (data === '\x1b[A' || data === '\x1b[B') return this.walkHistory(data === '\x1b[A' ? -1 : 1);
    for (const char of data) {
      if (char === '\r') {
        this.term.write('\n');
        this.submit();
        if (this.running) return;
      } else if (char === '\x7f') {
        if (this.line.length > 0) {
          this.line = this.line.slice(0, -1);
          this.term.write('\b \b');
        }
      } else if (char === '\x03') {
        this.line = '';
        this.term.write('^C\n');
        this.prompt();
      } else if (char >= ' ') {
        this.line += char;
        this.term.write(char);
      }
    }
  }

  private walkHistory(step: number): void {
    const at = Math.min(this.history.length, Math.max(0, this.historyAt + step));
    if (at === this.historyAt) return;
    this.historyAt = at;
    this.term.write('\b \b'.repeat(this.line.length));
    this.line = this.history[at] ?? '';
    this.term.write(this.line);
  }

  private submit(): void {
    const line = this.line;
    this.line = '';
    if (line.trim() === '') return this.prompt();
    this.history.push(line);
    this.historyAt = this.history.length;
    const policy = { ...pagePolicy('sh', this.inputFiles(), defaultTimeoutMs, this.outputFiles), cwd: this.cwd };
    this.running = true;
    this.held = undefined;
    this.client.run({ policy, tool: 'sh', args: ['-c', wrapped(line)] }, defaultTimeoutMs, {
      onStart: () => {},
      onOutput: (stream, text) => this.show(stream, text),
      onMessage: (message) => {
        if (message.type !== 'zone-files' || message.zone !== 'output') return;
        const decoder = new TextDecoder();
        this.outputFiles = Object.fromEntries(Object.entries(message.files).map(([name, bytes]) => [name, decoder.decode(bytes)]));
      },
      onEnd: (result) => this.end(result),
      onError: (message) => this.end(undefined, message),
    });
  }

  private show(stream: 'stdout' | 'stderr', text: string): void {
    if (stream === 'stderr') {
      this.term.write(`\x1b[31m${text}\x1b[0m`);
      return;
    }
    if (this.held !== undefined) {
      this.held += text;
      return;
    }
    const at = text.indexOf(marker);
    if (at < 0) {
      this.term.write(text);
      return;
    }
    this.term.write(text.slice(0, at));
    this.held = text.slice(at);
  }

  private end(result: RunResult | undefined, error?: string): void {
    const folder = this.held?.slice(1);
    if (folder !== undefined && folder.startsWith('/')) this.cwd = folder;
    if (error !== undefined) this.term.write(`\x1b[31m${error}\x1b[0m\n`);
    else if (result?.limit) this.term.write(`\x1b[33m[${result.limit.message}]\x1b[0m\n`);
    else if (result !== undefined && result.exitCode !== 0) this.term.write(`\x1b[2m[exit ${result.exitCode}]\x1b[0m\n`);
    this.running = false;
    this.prompt();
  }
}
