/**
 * Checks the imports of src/ against the table in layers.ts: arrows point
 * down the layers, portable code stays free of Node, and each named
 * exception still matches the import it excuses.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, posix } from 'node:path';
import { parseSync } from 'oxc-parser';

export interface Layer {
  readonly name: string;
  /** Path prefixes: `src/node/cli/` is a folder, `src/run/events.ts` one file. */
  readonly modules: readonly string[];
}

/** An import that breaks a rule today, allowed by name until it is fixed. */
export interface ImportException {
  readonly name: string;
  /** Prefix of the importing file. */
  readonly from: string;
  /** Prefix of the imported module. */
  readonly to: string;
  readonly fix: string;
}

export interface ImportRules {
  readonly layers: readonly Layer[];
  readonly nodeOnly: readonly string[];
  readonly portablePackages: readonly string[];
  readonly exceptions: readonly ImportException[];
}

export interface SourceFile {
  /** From the repository root, with `/`. */
  readonly path: string;
  readonly text: string;
}

/** One import statement, `export … from`, `import()` or `import('…')` type. */
export interface ImportSite {
  readonly line: number;
  readonly specifier: string;
  /** The statement as written, on one line. */
  readonly statement: string;
}

export interface Violation {
  readonly file: string;
  readonly line: number;
  /** The offending import as written; empty for a file or a table entry. */
  readonly statement: string;
  readonly rule: string;
  readonly fix: string;
}

const tableFile = 'test/architecture/layers.ts';
const exceptionHint = `if it must stay for now, name it in the exceptions of ${tableFile}`;

/** Every .ts file under src/, in a stable order. */
export function readSources(root: string): SourceFile[] {
  const files = readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => `src/${name.split('\\').join('/')}`)
    .sort();
  return files.map((path) => ({ path, text: readFileSync(join(root, path), 'utf8') }));
}

export function importsOf(file: SourceFile): { sites: ImportSite[]; parseErrors: string[] } {
  const parsed = parseSync(file.path, file.text);
  const sites: ImportSite[] = [];
  const add = (statementStart: number, statementEnd: number, specifier: string): void => {
    const statement = file.text.slice(statementStart, statementEnd).replace(/\s+/g, ' ').trim();
    sites.push({ line: lineAt(file.text, statementStart), specifier, statement });
  };
  for (const entry of parsed.module.staticImports) add(entry.start, entry.end, entry.moduleRequest.value);
  for (const entry of parsed.module.staticExports) {
    const request = entry.entries.find((exported) => exported.moduleRequest !== null)?.moduleRequest;
    if (request) add(entry.start, entry.end, request.value);
  }
  for (const entry of parsed.module.dynamicImports) {
    const literal = /^(['"])(.*)\1$/.exec(file.text.slice(entry.moduleRequest.start, entry.moduleRequest.end));
    if (literal?.[2] !== undefined) add(entry.start, entry.end, literal[2]);
  }
  for (const node of importTypes(parsed.program)) add(node.start, node.end, node.source.value);
  sites.sort((a, b) => a.line - b.line);
  return { sites, parseErrors: parsed.errors.map((error) => error.message) };
}

interface ImportTypeNode {
  readonly start: number;
  readonly end: number;
  readonly source: { readonly value: string };
}

/** `import('x')` in type positions (`typeof import('memfs')`), which the module record leaves out. */
function importTypes(node: unknown, found: ImportTypeNode[] = []): ImportTypeNode[] {
  if (Array.isArray(node)) {
    for (const child of node) importTypes(child, found);
  } else if (typeof node === 'object' && node !== null) {
    const record = node as Record<string, unknown>;
    if (record.type === 'TSImportType') found.push(record as unknown as ImportTypeNode);
    for (const [key, child] of Object.entries(record)) if (key !== 'parent') importTypes(child, found);
  }
  return found;
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let index = text.indexOf('\n'); index !== -1 && index < offset; index = text.indexOf('\n', index + 1)) line++;
  return line;
}

type Target = { kind: 'module'; path: string } | { kind: 'node'; name: string } | { kind: 'package'; name: string };

function targetOf(from: string, specifier: string): Target {
  if (specifier.startsWith('.')) {
    const path = posix.normalize(posix.join(posix.dirname(from), specifier)).replace(/\.js$/, '.ts');
    return { kind: 'module', path };
  }
  if (specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0] ?? specifier)) return { kind: 'node', name: specifier };
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
  return { kind: 'package', name };
}

function covers(prefix: string, path: string): boolean {
  return prefix.endsWith('/') ? path.startsWith(prefix) : path === prefix;
}

/** The layer whose longest prefix covers PATH, with its index (0 is the top). */
function layerOf(rules: ImportRules, path: string): { index: number; layer: Layer } | undefined {
  let best: { index: number; layer: Layer; length: number } | undefined;
  rules.layers.forEach((layer, index) => {
    for (const prefix of layer.modules) {
      if (covers(prefix, path) && (best === undefined || prefix.length > best.length)) best = { index, layer, length: prefix.length };
    }
  });
  return best && { index: best.index, layer: best.layer };
}

function isNodeOnly(rules: ImportRules, path: string): boolean {
  return rules.nodeOnly.some((prefix) => covers(prefix, path));
}

/** What is wrong with one import, or undefined when it keeps the rules. */
function breach(rules: ImportRules, from: string, target: Target): { rule: string; fix: string } | undefined {
  const portable = !isNodeOnly(rules, from);
  if (target.kind === 'node') {
    if (!portable) return undefined;
    return {
      rule: `portable code imports the Node module '${target.name}' (portable modules run in the browser too)`,
      fix: `put the Node part behind an interface that a Node-only module implements, or list ${from} in nodeOnly of ${tableFile}`,
    };
  }
  if (target.kind === 'package') {
    if (!portable || rules.portablePackages.includes(target.name)) return undefined;
    return {
      rule: `portable code imports the package '${target.name}', which is not in portablePackages`,
      fix: `if '${target.name}' runs in a browser, add it to portablePackages in ${tableFile}; otherwise import it from a Node-only module`,
    };
  }
  if (!target.path.startsWith('src/')) {
    return { rule: `src/ imports ${target.path}, outside src/`, fix: 'src/ imports only src/ and packages; move what it needs into src/' };
  }
  const fromLayer = layerOf(rules, from);
  const toLayer = layerOf(rules, target.path);
  if (fromLayer && toLayer && toLayer.index < fromLayer.index) {
    return {
      rule: `layer '${fromLayer.layer.name}' imports layer '${toLayer.layer.name}', which sits above it (a module imports its own layer and the layers below)`,
      fix: `move what it needs down to '${fromLayer.layer.name}' or below, or pass it in from above; ${exceptionHint}`,
    };
  }
  if (portable && isNodeOnly(rules, target.path)) {
    return {
      rule: `portable code imports the Node-only module ${target.path}`,
      fix: `depend on an interface the Node side implements, or list ${from} in nodeOnly of ${tableFile}; ${exceptionHint}`,
    };
  }
  return undefined;
}

export function checkImports(files: readonly SourceFile[], rules: ImportRules): Violation[] {
  const violations: Violation[] = [];
  const used = new Set<ImportException>();
  for (const file of files) {
    if (!layerOf(rules, file.path)) {
      violations.push(wholeFile(file.path, 'the file sits in no layer', `add it (or its folder) to a layer in ${tableFile}`));
    }
    const { sites, parseErrors } = importsOf(file);
    for (const message of parseErrors) violations.push(wholeFile(file.path, `does not parse: ${message}`, 'fix the syntax'));
    for (const site of sites) {
      const target = targetOf(file.path, site.specifier);
      const broken = breach(rules, file.path, target);
      if (!broken) continue;
      const excused =
        target.kind === 'module' && rules.exceptions.find((exception) => covers(exception.from, file.path) && covers(exception.to, target.path));
      if (excused) {
        used.add(excused);
        continue;
      }
      violations.push({ file: file.path, line: site.line, statement: site.statement, ...broken });
    }
  }
  for (const exception of rules.exceptions) {
    if (used.has(exception)) continue;
    const rule = `the exception '${exception.name}' (${exception.from} -> ${exception.to}) matches no import any more`;
    violations.push(wholeFile(tableFile, rule, `delete it from ${tableFile}`));
  }
  return violations;
}

/** A violation of a file or of the table rather than of one import. */
function wholeFile(file: string, rule: string, fix: string): Violation {
  return { file, line: 1, statement: '', rule, fix };
}

export function describeViolation(violation: Violation): string {
  const what = violation.statement === '' ? '' : ` ${violation.statement}`;
  return `${violation.file}:${violation.line}:${what}\n  breaks: ${violation.rule}\n  fix: ${violation.fix}`;
}
