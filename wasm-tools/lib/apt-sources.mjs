#!/usr/bin/env node
// apt's configured package sources, read at run time: the only way goodbot
// learns which Debian mirror this machine uses (none is written in the repo).
// Used by enable-deb-src.mjs and, from the shell, by the image builds:
//   node apt-sources.mjs mirror    the Debian archive's URI for this release
//   node apt-sources.mjs keyring   the keyring that signs it ('' when unnamed)
//   node apt-sources.mjs debian    apt's Debian archive entries, as a .sources file
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const listDir = '/etc/apt/sources.list.d';

/**
 * @typedef {{ types: string[], uris: string[], suites: string[], components: string[], signedBy: string }} AptEntry
 */

/** apt's source files: the one-line `.list` format and the deb822 `.sources` format. */
export function aptSourceFiles() {
  const inDir = existsSync(listDir) ? readdirSync(listDir).map((file) => `${listDir}/${file}`) : [];
  return ['/etc/apt/sources.list', ...inDir].filter(
    (file) => existsSync(file) && (file.endsWith('.list') || file.endsWith('.sources')),
  );
}

/** Every enabled entry of apt's sources, in the order apt reads them. */
export function readAptSources() {
  /** @type {AptEntry[]} */
  const entries = [];
  for (const file of aptSourceFiles()) {
    const text = readFileSync(file, 'utf8');
    entries.push(...(file.endsWith('.list') ? oneLineEntries(text) : deb822Entries(text)));
  }
  return entries;
}

function oneLineEntries(text) {
  const entries = [];
  for (const raw of text.split('\n')) {
    const match = /^(deb|deb-src)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(raw.trim());
    if (!match) continue;
    const signedBy = /(?:^|\s)signed-by=(\S+)/.exec(match[2] ?? '')?.[1] ?? '';
    entries.push({ types: [match[1]], uris: [match[3]], suites: [match[4]], components: words(match[5]), signedBy });
  }
  return entries;
}

function deb822Entries(text) {
  const entries = [];
  for (const block of text.split(/\n\s*\n/)) {
    const fields = {};
    for (const line of block.split('\n')) {
      const match = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (match) fields[match[1].toLowerCase()] = match[2].trim();
    }
    if (!fields.types || fields.enabled === 'no') continue;
    entries.push({
      types: words(fields.types),
      uris: words(fields.uris),
      suites: words(fields.suites),
      components: words(fields.components ?? 'main'),
      signedBy: fields['signed-by'] ?? '',
    });
  }
  return entries;
}

function words(text = '') {
  return text.split(/\s+/).filter(Boolean);
}

/** This machine's release name (`bookworm`), from /etc/os-release. */
export function osCodename() {
  return /^VERSION_CODENAME=(\S+)$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '';
}

/**
 * Debian's own archive (not a third-party repository): entries signed by the
 * Debian archive keyring, or whose suites name this release.
 */
export function isDebianArchive(entry, codename = osCodename()) {
  return (
    entry.signedBy.includes('debian-archive-keyring') ||
    entry.suites.some((suite) => codename !== '' && suite.split('-')[0] === codename)
  );
}

/** The Debian archive that carries this release's main suite: { uri, keyring }, or undefined. */
export function debianMirror(codename = osCodename()) {
  const entry = readAptSources().find(
    (candidate) => candidate.types.includes('deb') && candidate.suites.includes(codename) && isDebianArchive(candidate, codename),
  );
  if (entry === undefined || entry.uris.length === 0) return undefined;
  return { uri: entry.uris[0], keyring: existsSync(entry.signedBy) ? entry.signedBy : '' };
}

/**
 * apt's Debian archive entries (binary packages) as deb822 stanzas of TYPE
 * (`deb` or `deb-src`): same mirrors, suites, components and keyrings.
 */
export function debianArchiveStanzas(type) {
  return readAptSources()
    .filter((entry) => entry.types.includes('deb') && isDebianArchive(entry))
    .map((entry) =>
      [
        `Types: ${type}`,
        `URIs: ${entry.uris.join(' ')}`,
        `Suites: ${entry.suites.join(' ')}`,
        `Components: ${entry.components.join(' ')}`,
        ...(entry.signedBy ? [`Signed-By: ${entry.signedBy}`] : []),
      ].join('\n'),
    );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const what = process.argv[2];
  if (!['mirror', 'keyring', 'debian'].includes(what)) {
    console.error('usage: apt-sources.mjs mirror|keyring|debian');
    process.exit(2);
  }
  const mirror = debianMirror();
  if (mirror === undefined) {
    console.error(`goodbot: apt has no Debian archive for ${osCodename() || 'this release'}; add one to /etc/apt/sources.list.d`);
    process.exit(1);
  }
  if (what === 'debian') console.log(debianArchiveStanzas('deb').join('\n\n'));
  else console.log(what === 'mirror' ? mirror.uri : mirror.keyring);
}
