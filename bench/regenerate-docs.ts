import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chartOf, renderSections, updateDocument, type BenchResults } from './report.js';

/**
 * `npm run bench:docs [RESULTS.json]`: regenerates docs/benchmarks.md's
 * tables and docs/benchmarks.svg from a results file (default: the latest
 * full run in bench/results) without running anything.
 */
const root = join(import.meta.dirname, '..');
const resultsDir = join(root, 'bench', 'results');
const file =
  process.argv[2] ??
  readdirSync(resultsDir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => join(resultsDir, name))
    .reverse()
    .find((path) => !(JSON.parse(readFileSync(path, 'utf8')) as BenchResults).quick);
if (file === undefined) throw new Error('no full run in bench/results: run npm run bench first');
const results = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
const docs = join(root, 'docs', 'benchmarks.md');
writeFileSync(docs, updateDocument(readFileSync(docs, 'utf8'), renderSections(results)));
writeFileSync(join(root, 'docs', 'benchmarks.svg'), chartOf(results));
console.log(`regenerated docs/benchmarks.md and docs/benchmarks.svg from ${file}`);
