import type { RunResult, WorkerMessage } from '../src/browser/index.js';
import { defaultTimeoutMs, examples, initialFiles, pageTools, type Example } from './examples.js';
import { pagePolicy, showPolicy } from './policy-view.js';
import { RunClient } from './run-client.js';
import { shellWords } from './shell-words.js';
import { PageTerminal } from './terminal.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  state: $('worker-state'),
  examples: $('examples'),
  form: $<HTMLFormElement>('command'),
  tool: $<HTMLSelectElement>('tool'),
  args: $<HTMLInputElement>('args'),
  timeout: $<HTMLInputElement>('timeout'),
  run: $<HTMLButtonElement>('run'),
  cancel: $<HTMLButtonElement>('cancel'),
  stdin: $<HTMLTextAreaElement>('stdin'),
  about: $('about'),
  inputFiles: $('input-files'),
  editor: $<HTMLTextAreaElement>('editor'),
  newFile: $<HTMLFormElement>('new-file'),
  newName: $<HTMLInputElement>('new-name'),
  status: $('status'),
  output: $('output'),
  denials: $('denials'),
  outputFiles: $('output-files'),
  outputView: $('output-view'),
  policy: $('policy'),
  policyJson: $('policy-json'),
};

const files: Record<string, string> = { ...initialFiles };
let editing = 'words.txt';

/** Page-load-to-first-result, kept on the body for benchmarks and tests. */
let firstResult = true;

function showFiles(): void {
  ui.inputFiles.replaceChildren(
    ...Object.keys(files)
      .sort()
      .map((name) => {
        const button = document.createElement('button');
        button.type = 'button';
        button.textContent = name;
        button.className = name === editing ? 'active' : '';
        button.addEventListener('click', () => edit(name));
        return button;
      }),
  );
}

function edit(name: string): void {
  editing = name;
  ui.editor.value = files[name] ?? '';
  showFiles();
}

function currentPolicy() {
  return pagePolicy(ui.tool.value, files, Number(ui.timeout.value) || defaultTimeoutMs);
}

function refreshPolicy(): void {
  showPolicy(ui.policy, ui.policyJson, currentPolicy());
}

function choose(example: Example): void {
  ui.tool.value = example.tool;
  ui.args.value = example.args;
  ui.stdin.value = example.stdin ?? '';
  ui.timeout.value = String(example.timeoutMs ?? defaultTimeoutMs);
  ui.about.textContent = example.about;
  refreshPolicy();
  client.preload(example.tool);
}

/** Run is offered between runs, Cancel during one. */
function setRunning(running: boolean): void {
  ui.run.disabled = running;
  ui.cancel.disabled = !running;
}

function setStatus(state: string, text: string): void {
  ui.status.dataset['state'] = state;
  ui.status.textContent = text;
}

function append(stream: 'stdout' | 'stderr', text: string): void {
  const span = document.createElement('span');
  if (stream === 'stderr') span.className = 'stderr';
  span.textContent = text;
  ui.output.append(span);
}

function showOutputZone(zoneFiles: Record<string, Uint8Array>): void {
  const names = Object.keys(zoneFiles);
  if (names.length === 0) {
    ui.outputFiles.innerHTML = '<li class="muted">The run wrote no files.</li>';
    return;
  }
  ui.outputFiles.replaceChildren(
    ...names.map((name) => {
      const bytes = zoneFiles[name]!;
      const item = document.createElement('li');
      item.dataset['file'] = name;
      const label = document.createElement('code');
      label.textContent = `${name} (${bytes.length} bytes)`;
      const view = document.createElement('button');
      view.type = 'button';
      view.textContent = 'View';
      view.addEventListener('click', () => {
        ui.outputView.hidden = false;
        ui.outputView.textContent = new TextDecoder().decode(bytes);
      });
      const download = document.createElement('a');
      download.textContent = 'Download';
      download.href = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>]));
      download.download = name.slice(name.lastIndexOf('/') + 1);
      item.append(label, view, download);
      return item;
    }),
  );
}

function describe(result: RunResult): [string, string] {
  const fuel = result.fuelConsumed === undefined ? '' : `, fuel ${result.fuelConsumed.toLocaleString('en')}`;
  const facts = `exit ${result.exitCode}, ${result.durationMs.toFixed(1)} ms${fuel}`;
  if (result.status === 'cancelled') return ['cancelled', `Cancelled (${facts})`];
  if (result.limit) return ['limit', `Stopped: ${result.limit.message} (${facts})`];
  if (result.status === 'trapped') return ['failed', `Trapped: ${result.trap?.message ?? 'unknown trap'} (${facts})`];
  return [result.exitCode === 0 ? 'exited' : 'failed', `Exited (${facts})`];
}

const client = new RunClient(() => {
  ui.state.textContent = 'worker ready';
  ui.run.disabled = false;
  document.body.dataset['ready'] = 'true';
});

ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  let args: string[];
  try {
    args = shellWords(ui.args.value);
  } catch (error) {
    setStatus('error', `Arguments: ${(error as Error).message}`);
    return;
  }
  const policy = currentPolicy();
  showPolicy(ui.policy, ui.policyJson, policy);
  ui.output.replaceChildren();
  ui.denials.replaceChildren();
  ui.outputView.hidden = true;
  ui.outputFiles.innerHTML = '<li class="muted">…</li>';
  setRunning(true);
  setStatus('running', `Loading ${ui.tool.value}…`);
  const timeoutMs = Number(ui.timeout.value) || defaultTimeoutMs;
  const stdin = ui.stdin.value;
  client.run({ policy, tool: ui.tool.value, args, ...(stdin !== '' && { stdin }) }, timeoutMs, {
    onStart: (loadMs) => setStatus('running', `Running (tool loaded in ${loadMs.toFixed(0)} ms)…`),
    onOutput: append,
    onMessage: (message: WorkerMessage) => {
      if (message.type === 'zone-files') showOutputZone(message.files);
      if (message.type === 'denied') {
        const item = document.createElement('li');
        const { operation, target, reason, error } = message.denial;
        item.textContent = `denied: ${operation} ${target} (${reason}, ${error})`;
        ui.denials.append(item);
      }
    },
    onEnd: (result) => {
      const [state, text] = describe(result);
      setStatus(state, text);
      ui.status.dataset['exitCode'] = String(result.exitCode);
      ui.status.dataset['durationMs'] = String(result.durationMs);
      ui.status.dataset['runStatus'] = result.status;
      if (firstResult) document.body.dataset['firstResultMs'] = performance.now().toFixed(0);
      firstResult = false;
      setRunning(false);
    },
    onError: (message) => {
      setStatus('error', message);
      setRunning(false);
    },
  });
});
ui.cancel.addEventListener('click', () => {
  ui.cancel.disabled = true;
  setStatus('running', 'Cancelling…');
  client.cancel();
});

ui.editor.addEventListener('input', () => {
  files[editing] = ui.editor.value;
  refreshPolicy();
});
ui.newFile.addEventListener('submit', (event) => {
  event.preventDefault();
  const name = ui.newName.value.trim().replace(/^\/+/, '');
  if (name === '') return;
  files[name] ??= '';
  ui.newName.value = '';
  edit(name);
});
ui.tool.addEventListener('change', () => {
  refreshPolicy();
  client.preload(ui.tool.value);
});
ui.timeout.addEventListener('change', refreshPolicy);

ui.tool.replaceChildren(...pageTools.map((name) => new Option(name, name)));
ui.examples.replaceChildren(
  ...examples.map((example) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = example.label;
    button.title = example.about;
    button.dataset['example'] = example.label;
    button.addEventListener('click', () => choose(example));
    return button;
  }),
);
edit(editing);
choose(examples[0]!);

/** The terminal, on the window for tests (`goodbotTerminal.text()`). */
const terminal = new PageTerminal($('terminal'), () => ({ ...files }));
(window as unknown as { goodbotTerminal: PageTerminal }).goodbotTerminal = terminal;
