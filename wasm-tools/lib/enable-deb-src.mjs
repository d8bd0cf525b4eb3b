#!/usr/bin/env node
// Makes `apt-get source` work: when apt has no deb-src entry, adds one for each
// configured Debian archive entry (same mirror, suites and components), read
// from apt's own sources at run time, then refreshes the package lists.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { debianArchiveStanzas, readAptSources } from './apt-sources.mjs';

const target = '/etc/apt/sources.list.d/goodbot-deb-src.sources';
if (readAptSources().some((entry) => entry.types.includes('deb-src'))) process.exit(0);

const out = debianArchiveStanzas('deb-src');
if (out.length === 0) {
  console.error('goodbot: no Debian archive in apt sources; add a deb-src entry for your mirror to build tools');
  process.exit(1);
}
console.log(`==> enabling deb-src for apt's configured Debian mirror (${target})`);
const asRoot = process.getuid?.() === 0 ? [] : ['sudo'];
const write = (file, text) =>
  asRoot.length === 0 ? writeFileSync(file, text) : execFileSync('sudo', ['tee', file], { input: text, stdio: ['pipe', 'ignore', 'inherit'] });
write(target, `${out.join('\n\n')}\n`);
execFileSync(asRoot[0] ?? 'apt-get', [...(asRoot.length ? ['apt-get'] : []), 'update', '-q'], { stdio: ['ignore', 'ignore', 'inherit'] });
