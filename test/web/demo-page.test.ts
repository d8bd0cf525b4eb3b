import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWebDemo, type WebBuild } from '../../web/build.js';
import { serveWebDemo, type WebServer } from '../../web/serve.js';
import { repoRoot } from '../helpers/guests.js';

/** Debian's chromium, which setup installs; flags that keep it headless and offline (no sandbox: tests run as root). */
const chromiumPath = '/usr/bin/chromium';
const chromiumFlags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** Where the screenshot goes (gitignored). */
const artifactsDir = join(repoRoot, '.cache', 'artifacts');

/** The page's visible state after a run. */
interface RunView {
  readonly state: string;
  readonly runStatus: string | undefined;
  readonly exitCode: number;
  readonly durationMs: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly status: string;
  readonly denials: string;
  /** Wall time on the page from the click to the end of the run. */
  readonly pageMs: number;
}

/** Clicks the button ID in the page; returns the page's clock at the click. */
function clickAt(page: Page, id: 'run' | 'cancel'): Promise<number> {
  return page.evaluate((button) => {
    (document.getElementById(button) as HTMLButtonElement).click();
    return performance.now();
  }, id);
}

/** Picks EXAMPLE (a button label) and clicks Run; returns the page's clock at the click. */
async function startRun(page: Page, example: string): Promise<number> {
  await page.click(`button[data-example="${example}"]`);
  return clickAt(page, 'run');
}

/** Waits until the guest of the current run has started (its tool loaded). */
async function guestStarted(page: Page): Promise<void> {
  await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('Running'));
}

/** Waits for the run started at CLICKED_AT to end, and reads what the page shows. */
async function runEnd(page: Page, clickedAt: number, timeout = 30_000): Promise<RunView> {
  await page.waitForFunction(() => document.getElementById('status')!.dataset['state'] !== 'running', undefined, { timeout });
  return page.evaluate((clicked) => {
    const status = document.getElementById('status')!;
    const spans = [...document.querySelectorAll('#output span')];
    return {
      state: status.dataset['state']!,
      runStatus: status.dataset['runStatus'],
      exitCode: Number(status.dataset['exitCode']),
      durationMs: Number(status.dataset['durationMs']),
      stdout: spans
        .filter((span) => span.className !== 'stderr')
        .map((span) => span.textContent)
        .join(''),
      stderr: spans
        .filter((span) => span.className === 'stderr')
        .map((span) => span.textContent)
        .join(''),
      status: status.textContent ?? '',
      denials: document.getElementById('denials')!.textContent ?? '',
      pageMs: performance.now() - clicked,
    };
  }, clickedAt);
}

async function run(page: Page, example: string): Promise<RunView> {
  return runEnd(page, await startRun(page, example));
}

describe('the web demo page in headless Chromium', () => {
  let built: WebBuild;
  let server: WebServer;
  let browser: Browser;
  let page: Page;
  let firstResultMs: number;

  beforeAll(async () => {
    expect(existsSync(chromiumPath), `${chromiumPath} is missing: run wasm-tools/setup.sh (npm test does)`).toBe(true);
    built = await buildWebDemo(join(repoRoot, '.cache', 'web-test'));
    server = await serveWebDemo(built.outDir);
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumFlags });
    page = await browser.newPage({ viewport: { width: 1360, height: 1000 } });
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready="true"]');
    const first = await run(page, 'sort');
    expect(first.stdout).toBe('apple\nbanana\ncherry\nfig\npear\n');
    firstResultMs = Number(await page.evaluate(() => document.body.dataset['firstResultMs']));
    console.log(
      `web demo: page load to first result ${firstResultMs} ms; bundles ${JSON.stringify(built.jsBytes)}; tools ${JSON.stringify(built.wasmBytes)}`,
    );
  });

  afterAll(async () => {
    if (page !== undefined) {
      mkdirSync(artifactsDir, { recursive: true });
      await page.screenshot({ path: join(artifactsDir, 'web-demo.png'), fullPage: true });
    }
    await browser?.close();
    await server?.close();
  });

  it('is cross-origin isolated and ships every page tool', async () => {
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(Object.keys(built.wasmBytes).sort()).toEqual([
      'busybox/busybox.wasm',
      'jq/jq.wasm',
      'lua/lua.wasm',
      'python3/python3.wasm',
      'sqlite3/sqlite3.wasm',
    ]);
    expect(Object.keys(built.folderBytes)).toEqual(['python3/lib.folder']);
    expect(firstResultMs).toBeGreaterThan(0);
  });

  it('runs a BusyBox applet that writes a file into the output zone', async () => {
    const view = await run(page, 'sort to a file');
    expect(view).toMatchObject({ state: 'exited', exitCode: 0, stdout: '' });
    await page.click('#output-files li[data-file="sorted.txt"] button');
    expect(await page.textContent('#output-view')).toBe('apple\napple\nbanana\ncherry\nfig\npear\n');
    const download = await page.getAttribute('#output-files li[data-file="sorted.txt"] a', 'download');
    expect(download).toBe('sorted.txt');
  });

  it("runs a command line in goodbot's shell, every command a catalog tool", async () => {
    expect(await run(page, 'command line')).toMatchObject({ state: 'exited', exitCode: 0, stdout: '      2 apple\n6 words\n', stderr: '' });
  });

  it('streams a pipeline: its commands run at once, each in a worker of its own, and a producer stops with its reader', async () => {
    await page.selectOption('#tool', 'sh');
    await page.fill('#args', `-c 'tr "\\0" y < /dev/zero | head -c 5; echo; cat /dev/zero | head -c 3 | wc -c'`);
    await page.fill('#stdin', '');
    // Kept whole, the pipes would take 16 MiB each and report the writer stopped on stderr.
    expect(await runEnd(page, await clickAt(page, 'run'))).toMatchObject({ state: 'exited', exitCode: 0, stdout: 'yyyyy\n3\n', stderr: '' });
  });

  it('runs command lines typed into the terminal as a session: folder, variables, functions and /output carried from line to line', async () => {
    const text = () => page.evaluate(() => (window as unknown as { goodbotTerminal: { text(): string } }).goodbotTerminal.text());
    const prompts = async (count: number) =>
      page.waitForFunction(
        (n) => ((window as unknown as { goodbotTerminal: { text(): string } }).goodbotTerminal.text().match(/goodbot:\S*\$/g) ?? []).length >= n,
        count,
        { timeout: 30_000 },
      );
    await prompts(1);
    await page.click('#terminal');
    await page.keyboard.type('mkdir -p notes && cd notes && echo hello > a.txt && ls');
    await page.keyboard.press('Enter');
    await prompts(2);
    await page.keyboard.type('pwd; tr a-z A-Z <a.txt; g=hi; f() { echo $1!; }; exit 3');
    await page.keyboard.press('Enter');
    await prompts(3);
    await page.keyboard.type('f "$g"; ls /output/notes');
    await page.keyboard.press('Enter');
    await prompts(4);
    await page.keyboard.type('while :; do :; done');
    await page.keyboard.press('Enter');
    await page.waitForTimeout(300);
    await page.keyboard.press('Control+C');
    await prompts(5);
    const lines = (await text()).split('\n');
    expect(lines.slice(lines.findIndex((line) => line.startsWith('goodbot:')))).toEqual([
      'goodbot:/output$ mkdir -p notes && cd notes && echo hello > a.txt && ls',
      'a.txt',
      'goodbot:/output/notes$ pwd; tr a-z A-Z <a.txt; g=hi; f() { echo $1!; }; exit 3',
      '/output/notes',
      'HELLO',
      '[exit 3]',
      'goodbot:/output/notes$ f "$g"; ls /output/notes',
      'hi!',
      'a.txt',
      'goodbot:/output/notes$ while :; do :; done',
      '[the run was cancelled]',
      'goodbot:/output/notes$',
    ]);
  });

  it('runs jq on an input file', async () => {
    const view = await run(page, 'jq');
    expect(view).toMatchObject({ state: 'exited', exitCode: 0, stdout: 'jq\nlua\n', stderr: '' });
    expect(view.status).toMatch(/fuel [\d,]+/);
  });

  it('runs lua, and sqlite3 writing a database into the output zone', async () => {
    expect(await run(page, 'lua')).toMatchObject({ exitCode: 0, stdout: 'letters in words.txt: 29\n' });
    expect(await run(page, 'sqlite3')).toMatchObject({ exitCode: 0, stdout: '2\n' });
    expect(await page.textContent('#output-files li[data-file="fruit.db"] code')).toMatch(/^fruit\.db \(\d+ bytes\)$/);
  });

  it('runs python3 with its stdlib from the folder archive, writing into the output zone', async () => {
    const archive = readFileSync(join(built.outDir, 'tools', 'python3', 'lib.folder'));
    // Timed from the example's click, which starts loading python3 (fetch, compile, metering) before Run is clicked.
    const chosenAt = await page.evaluate(() => performance.now());
    await startRun(page, 'python');
    const first = await runEnd(page, chosenAt, 120_000);
    const expected = { state: 'exited', exitCode: 0, stdout: '2 apple\n1 pear\n1 fig\n1 banana\n1 cherry\n', stderr: '' };
    expect(first).toMatchObject(expected);
    await page.click('#output-files li[data-file="counts.json"] button');
    expect(JSON.parse((await page.textContent('#output-view'))!)).toEqual({ apple: 2, banana: 1, cherry: 1, fig: 1, pear: 1 });
    // The second run reuses the compiled module and the unpacked archive.
    const warm = await run(page, 'python');
    expect(warm).toMatchObject(expected);
    expect(warm.pageMs).toBeLessThan(first.pageMs);
    console.log(
      `web demo: python3 first run ${first.pageMs.toFixed(0)} ms from choosing it (run ${first.durationMs.toFixed(0)} ms of it); ` +
        `warm ${warm.pageMs.toFixed(0)} ms from the click (run ${warm.durationMs.toFixed(0)} ms); ` +
        `stdlib archive ${archive.length} bytes, ${gzipSync(archive).length} gzip; python3.wasm ${built.wasmBytes['python3/python3.wasm']} bytes`,
    );
  });

  it('gives the stdin box to the guest', async () => {
    expect(await run(page, 'sort stdin')).toMatchObject({ state: 'exited', exitCode: 0, stdout: 'plum\nmango\nkiwi\napple\n' });
    await page.selectOption('#tool', 'wc');
    await page.fill('#args', '-l');
    await page.fill('#stdin', 'one\ntwo\nthree\n');
    const view = await runEnd(page, await clickAt(page, 'run'));
    expect(view).toMatchObject({ state: 'exited', exitCode: 0, stderr: '' });
    expect(view.stdout.trim()).toBe('3');
  });

  it('refuses a write to the read-only input zone inside the guest', async () => {
    const view = await run(page, 'write to input');
    expect(view.exitCode).toBe(1);
    expect(view.stderr).toContain('Read-only file system');
    expect(view.denials).toContain('read-only-zone');
    expect(view.denials).toContain('/input/new.txt');
  });

  it('stops the runaway example within 100 ms of its deadline, the page staying responsive', async () => {
    const clickedAt = await startRun(page, 'runaway');
    await guestStarted(page);
    // While the guest spins in the worker, the page's own event loop answers at once.
    const roundTrip = await page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          const at = performance.now();
          setTimeout(() => resolve(performance.now() - at), 0);
        }),
    );
    expect(roundTrip).toBeLessThan(100);
    const view = await runEnd(page, clickedAt);
    expect(view).toMatchObject({ state: 'limit', runStatus: 'timeout', exitCode: 124 });
    expect(view.status).toContain('1 s timeout');
    expect(view.durationMs).toBeGreaterThanOrEqual(1000);
    expect(view.durationMs).toBeLessThan(1100);
    console.log(
      `web demo: runaway stopped ${(view.durationMs - 1000).toFixed(1)} ms after its 1 s deadline (page saw ${view.pageMs.toFixed(0)} ms from click to end)`,
    );
  });

  it('cancels the runaway example inside the guest, long before its deadline', async () => {
    await page.click('button[data-example="runaway"]');
    await page.fill('#timeout', '10000');
    await clickAt(page, 'run');
    await guestStarted(page);
    expect(await page.isEnabled('#cancel')).toBe(true);
    await page.waitForTimeout(300);
    const view = await runEnd(page, await clickAt(page, 'cancel'));
    // Ended by the guest's own fuel-slice check: the terminate backstop would show an error 1 s later.
    expect(view).toMatchObject({ state: 'cancelled', runStatus: 'cancelled', exitCode: 124 });
    expect(view.status).toMatch(/^Cancelled \(exit 124, /);
    expect(view.pageMs).toBeLessThan(200);
    expect(view.durationMs).toBeGreaterThanOrEqual(300);
    expect(view.durationMs).toBeLessThan(2000);
    expect(await page.isEnabled('#cancel')).toBe(false);
    expect(await page.isEnabled('#run')).toBe(true);
    console.log(`web demo: cancelled runaway ended ${view.pageMs.toFixed(1)} ms after the click (ran ${view.durationMs.toFixed(0)} ms of its 10 s)`);
  });
});
