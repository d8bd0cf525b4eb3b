import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chartOf, latestFullResults, renderSections, updateDocument, type BenchResults } from './report.js';

/**
 * `npm run bench:docs [RESULTS.json]`: regenerates docs/benchmarks.md's
 * tables and docs/benchmarks.svg from a results file (default: the latest
 * full run in bench/results) without running anything.
 */
const root = join(import.meta.dirname, '..');
const given = process.argv[2];
const found = given
  ? { file: given, results: JSON.parse(readFileSync(given, 'utf8')) as BenchResults }
  : latestFullResults(join(root, 'bench', 'results'));
if (found === undefined) throw new Error('no full run in bench/results: run npm run bench first');
const docs = join(root, 'docs', 'benchmarks.md');
writeFileSync(docs, updateDocument(readFileSync(docs, 'utf8'), renderSections(found.results)));
writeFileSync(join(root, 'docs', 'benchmarks.svg'), chartOf(found.results));
console.log(`regenerated docs/benchmarks.md and docs/benchmarks.svg from ${found.file}`);
