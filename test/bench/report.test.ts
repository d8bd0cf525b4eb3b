import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chartOf, latestFullResults, renderSections, updateDocument } from '../../bench/report.js';

const root = join(import.meta.dirname, '..', '..');

describe('the benchmark report', () => {
  it('replaces what lies between each pair of markers and keeps the text around them', () => {
    const page = 'intro\n<!-- bench:a -->\nold\n<!-- /bench:a -->\nmiddle\n<!-- bench:b -->\n<!-- /bench:b -->\nend\n';
    const updated = updateDocument(
      page,
      new Map([
        ['a', 'new A'],
        ['b', 'new B'],
      ]),
    );
    expect(updated).toBe('intro\n<!-- bench:a -->\nnew A\n<!-- /bench:a -->\nmiddle\n<!-- bench:b -->\nnew B\n<!-- /bench:b -->\nend\n');
  });

  it('refuses a page that lacks a section it would fill', () => {
    expect(() => updateDocument('no markers here', new Map([['headline', 'x']]))).toThrow(/bench:headline/);
  });

  it('docs/benchmarks.md and its chart are what the latest full run in bench/results renders (no hand-edited numbers)', () => {
    const latest = latestFullResults(join(root, 'bench', 'results'));
    expect(latest).toBeDefined();
    const page = readFileSync(join(root, 'docs', 'benchmarks.md'), 'utf8');
    expect(updateDocument(page, renderSections(latest!.results))).toBe(page);
    expect(chartOf(latest!.results)).toBe(readFileSync(join(root, 'docs', 'benchmarks.svg'), 'utf8'));
  });
});
