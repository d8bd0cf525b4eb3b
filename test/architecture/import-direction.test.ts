import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkImports, describeViolation, importsOf, readSources, type ImportRules, type SourceFile } from './import-rules.js';
import { importRules } from './layers.js';

const root = join(import.meta.dirname, '..', '..');

/** Two layers, one Node-only file, no exceptions: small enough to reason about. */
const fixtureRules: ImportRules = {
  layers: [
    { name: 'top', modules: ['src/top/'] },
    { name: 'bottom', modules: ['src/bottom/', 'src/shared.ts'] },
  ],
  nodeOnly: ['src/top/host.ts'],
  portablePackages: ['zod'],
  exceptions: [],
};

function file(path: string, ...lines: string[]): SourceFile {
  return { path, text: `${lines.join('\n')}\n` };
}

describe('imports in src/', () => {
  it('point down the layers of test/architecture/layers.ts, and portable code stays free of Node', () => {
    const violations = checkImports(readSources(root), importRules);
    expect(violations.map(describeViolation)).toEqual([]);
  });

  it('fail on a wrong import added to a real file', () => {
    const real = readSources(root);
    const policyFile = real.find((source) => source.path.startsWith('src/policy/'))!.path;
    const wasiFile = real.find((source) => source.path.startsWith('src/wasi/common/'))!.path;
    const upward = "import { execCommand } from '../node/cli/exec.js';";
    const nodeInPortable = "import { readFileSync } from 'node:fs';";
    const sources = real.map((source) => {
      if (source.path === policyFile) return { ...source, text: `${source.text}${upward}\n` };
      if (source.path === wasiFile) return { ...source, text: `${nodeInPortable}\n${source.text}` };
      return source;
    });
    const lastLine = sources.find((source) => source.path === policyFile)!.text.split('\n').length - 1;
    const added = checkImports(sources, importRules).filter(
      ({ file, statement }) => (file === policyFile && statement === upward) || (file === wasiFile && statement === nodeInPortable),
    );
    expect(added.map(({ file, line, statement }) => ({ file, line, statement }))).toEqual([
      { file: policyFile, line: lastLine, statement: upward },
      { file: wasiFile, line: 1, statement: nodeInPortable },
    ]);
    expect(added[0]!.rule).toContain("layer 'policy' imports layer 'cli'");
    expect(added[1]!.rule).toContain("the Node module 'node:fs'");
  });
});

describe('the import checker', () => {
  it('reports an import up a layer with its file, line, statement, rule and fix', () => {
    const violations = checkImports(
      [file('src/top/a.ts', "import { b } from '../bottom/b.js';"), file('src/bottom/b.ts', '// b', "import type { A } from '../top/a.js';")],
      fixtureRules,
    );
    expect(violations).toEqual([
      {
        file: 'src/bottom/b.ts',
        line: 2,
        statement: "import type { A } from '../top/a.js';",
        rule: "layer 'bottom' imports layer 'top', which sits above it (a module imports its own layer and the layers below)",
        fix: expect.stringContaining("move what it needs down to 'bottom' or below"),
      },
    ]);
    expect(describeViolation(violations[0]!)).toMatch(
      /^src\/bottom\/b\.ts:2: import type \{ A \} from '\.\.\/top\/a\.js';\n {2}breaks: .+\n {2}fix: .+$/,
    );
  });

  it('sees re-exports, import() and import types', () => {
    const violations = checkImports(
      [
        file('src/top/a.ts', 'export const a = 1;'),
        file(
          'src/bottom/b.ts',
          "export { a } from '../top/a.js';",
          "const loaded = await import('../top/a.js');",
          "let kind: typeof import('../top/a.js') | undefined;",
        ),
      ],
      fixtureRules,
    );
    expect(violations.map((violation) => violation.line)).toEqual([1, 2, 3]);
  });

  it('keeps node:*, Node-only packages and Node-only modules out of portable code', () => {
    const violations = checkImports(
      [
        file('src/top/host.ts', "import { readFileSync } from 'node:fs';", "import Docker from 'dockerode';"),
        file(
          'src/top/a.ts',
          "import { z } from 'zod';",
          "import { host } from './host.js';",
          "import { join } from 'path';",
          "import Docker from 'dockerode';",
        ),
      ],
      fixtureRules,
    );
    expect(violations.map(({ file, line, rule }) => `${file}:${line} ${rule}`)).toEqual([
      'src/top/a.ts:2 portable code imports the Node-only module src/top/host.ts',
      "src/top/a.ts:3 portable code imports the Node module 'path' (portable modules run in the browser too)",
      "src/top/a.ts:4 portable code imports the package 'dockerode', which is not in portablePackages",
    ]);
  });

  it('allows an import a named exception covers, and fails on an exception that matches nothing', () => {
    const rules: ImportRules = {
      ...fixtureRules,
      exceptions: [
        { name: 'b reads a', from: 'src/bottom/b.ts', to: 'src/top/a.ts', fix: 'move a down' },
        { name: 'fixed long ago', from: 'src/bottom/', to: 'src/top/gone.ts', fix: 'nothing' },
      ],
    };
    const violations = checkImports(
      [file('src/top/a.ts', 'export const a = 1;'), file('src/bottom/b.ts', "import { a } from '../top/a.js';")],
      rules,
    );
    expect(violations.map((violation) => violation.rule)).toEqual([
      "the exception 'fixed long ago' (src/bottom/ -> src/top/gone.ts) matches no import any more",
    ]);
  });

  it('fails on a file that sits in no layer and on an import out of src/', () => {
    const violations = checkImports([file('src/elsewhere.ts', "import { helper } from '../test/helper.js';")], fixtureRules);
    expect(violations.map((violation) => violation.rule)).toEqual(['the file sits in no layer', 'src/ imports test/helper.ts, outside src/']);
  });

  it('lets the longest prefix decide, so a file can sit in another layer than its folder', () => {
    const rules: ImportRules = {
      ...fixtureRules,
      layers: [{ name: 'top', modules: ['src/top/', 'src/bottom/up.ts'] }, ...fixtureRules.layers.slice(1)],
    };
    const violations = checkImports(
      [file('src/bottom/up.ts', "import { a } from '../top/a.js';"), file('src/top/a.ts', 'export const a = 1;')],
      rules,
    );
    expect(violations).toEqual([]);
  });

  it('counts lines in UTF-16 text as the editor does', () => {
    const { sites } = importsOf(file('src/top/a.ts', '// naïve … ünïcode', '', "import { b } from '../bottom/b.js';"));
    expect(sites).toEqual([{ line: 3, specifier: '../bottom/b.js', statement: "import { b } from '../bottom/b.js';" }]);
  });
});
