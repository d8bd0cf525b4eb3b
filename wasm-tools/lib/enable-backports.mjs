#!/usr/bin/env node
// Makes this release's backports suite (`<codename>-backports`) available to
// `apt-get install -t`, from apt's configured Debian mirror (read at run time),
// when apt has no entry for it; then refreshes the package lists. Backports
// have a low default priority: only packages asked for by `-t` come from it.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { debianMirror, osCodename, readAptSources } from './apt-sources.mjs';

const codename = osCodename();
const suite = `${codename}-backports`;
const target = '/etc/apt/sources.list.d/goodbot-backports.sources';
if (readAptSources().some((entry) => entry.types.includes('deb') && entry.suites.includes(suite))) process.exit(0);

const mirror = debianMirror(codename);
if (mirror === undefined) {
  console.error(`goodbot: no Debian archive in apt sources; add ${suite} for your mirror`);
  process.exit(1);
}
console.log(`==> enabling ${suite} from apt's configured Debian mirror (${target})`);
const stanza = [`Types: deb`, `URIs: ${mirror.uri}`, `Suites: ${suite}`, 'Components: main', ...(mirror.keyring ? [`Signed-By: ${mirror.keyring}`] : [])].join('\n');
const asRoot = process.getuid?.() === 0 ? [] : ['sudo'];
if (asRoot.length === 0) writeFileSync(target, `${stanza}\n`);
else execFileSync('sudo', ['tee', target], { input: `${stanza}\n`, stdio: ['pipe', 'ignore', 'inherit'] });
execFileSync(asRoot[0] ?? 'apt-get', [...(asRoot.length ? ['apt-get'] : []), 'update', '-q'], { stdio: ['ignore', 'ignore', 'inherit'] });
