import { Terminal } from '@xterm/xterm';
import { carryOf, stateAfter, type RunResult, type SessionState } from '../src/browser/index.js';
import { defaultTimeoutMs } from './examples.js';
import { pagePolicy } from './policy-view.js';
import { RunClient } from './run-client.js';

/**
 * A terminal on the page: each line typed runs in goodbot's shell (`sh -c
 * LINE`) in a worker of its own, under the page's policy, with the page's
 * tools, as a session: the working folder, variables, functions and the
 * files of `/output` carry from one line to the next (the worker gives the
 * session's state back with each result). Ctrl-C cancels a running line;
 * the arrow keys walk the history.
 */
export class PageTerminal {
  private readonly term = new Terminal({ convertEol: true, cursorBlink: true, fontSize: 13, rows: 18 });
  private readonly client: RunClient;
  private line = '';
  private readonly history: string[] = [];
  private historyAt = 0;
  private state: SessionState = { cwd: '/output', zones: {} };
  private running = false;
  private ready = false;

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
    this.term.write(`\x1b[32mgoodbot\x1b[0m:\x1b[34m${this.state.cwd}\x1b[0m$ `);
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
    const policy = { ...pagePolicy('sh', this.inputFiles(), defaultTimeoutMs), cwd: this.state.cwd };
    this.running = true;
    this.client.run({ policy, tool: 'sh', args: ['-c', line], session: carryOf(this.state) }, defaultTimeoutMs, {
      onStart: () => {},
      onOutput: (stream, text) => this.show(stream, text),
      onMessage: () => {},
      onEnd: (result) => this.end(result),
      onError: (message) => this.end(undefined, message),
    });
  }

  private show(stream: 'stdout' | 'stderr', text: string): void {
    this.term.write(stream === 'stderr' ? `\x1b[31m${text}\x1b[0m` : text);
  }

  private end(result: RunResult | undefined, error?: string): void {
    this.state = stateAfter(this.state, result?.session);
    if (error !== undefined) this.term.write(`\x1b[31m${error}\x1b[0m\n`);
    else if (result?.limit) this.term.write(`\x1b[33m[${result.limit.message}]\x1b[0m\n`);
    else if (result !== undefined && result.exitCode !== 0) this.term.write(`\x1b[2m[exit ${result.exitCode}]\x1b[0m\n`);
    this.running = false;
    this.prompt();
  }
}
