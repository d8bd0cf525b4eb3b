import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSandbox, GoodbotError, JsonlAuditFile, loadPolicy } from '../../../src/node/index.js';
import { commandLineFailure } from '../../../src/node/cli/command-failure.js';
import { goodbot } from '../../helpers/cli.js';
import { repoRoot } from '../../helpers/guests.js';
import { thrownGoodbotError } from '../../helpers/thrown.js';

/**
 * An error the library raises speaks the library's language (policy fields,
 * `sandbox.backend`); the command line shows its own flags instead, from the
 * error's `commandLineHint`.
 */

/** The TypeScript files under DIR. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

describe('error hints', () => {
  it('name no command-line flag in an error the library raises', () => {
    // The command line's own modules (src/node/cli, and src/policy/flags.ts, which parses flags) may.
    const library = sources(join(repoRoot, 'src')).filter((file) => {
      const path = relative(repoRoot, file);
      return !path.startsWith('src/node/cli/') && path !== 'src/policy/flags.ts';
    });
    const offending: string[] = [];
    for (const file of library) {
      for (const match of readFileSync(file, 'utf8').matchAll(/\bhint:\s*(`(?:\\.|[^`\\])*`|'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*")/g)) {
        // A whole goodbot command quoted in a hint (\`goodbot tools build --force lua\`) is one to run, whoever raised the error.
        const hint = match[1]!.replace(/\\`goodbot [^`]*\\`/g, '');
        if (/(^|[\s(`'"])--[a-z]/.test(hint)) offending.push(`${relative(repoRoot, file)}: ${match[1]}`);
      }
    }
    expect(offending).toEqual([]);
  });

  it('give a library caller the library form, and the command line its flags', async () => {
    const error = (await createSandbox({})
      .exec({ program: 'pyhton3' })
      .result.then(
        () => undefined,
        (e: unknown) => e,
      )) as GoodbotError;
    expect(error).toBeInstanceOf(GoodbotError);
    expect(error.hint).toContain("did you mean 'python3'?");
    expect(error.hint).toContain("sandbox.backend 'docker'");
    expect(error.hint).not.toMatch(/--/);
    expect(commandLineFailure(error).hint).toContain('--backend=docker');
    expect(commandLineFailure(error).kind).toBe('not-found');
    expect(goodbot(repoRoot, ['exec', '--', 'pyhton3']).stderr).toContain('--backend=docker');
  });

  it('say "policy file" and "audit log" in the library, --policy and --audit on the command line', () => {
    const policy = thrownGoodbotError(() => loadPolicy('/nonexistent/policy.yaml'));
    expect(policy.hint).toBe('check the policy file path');
    expect(commandLineFailure(policy).hint).toBe('check the --policy path');
    expect(goodbot(repoRoot, ['exec', '--policy', '/nonexistent/policy.yaml', '--', 'true']).stderr).toContain('(check the --policy path)');
    const audit = thrownGoodbotError(() => new JsonlAuditFile('/nonexistent/audit.jsonl'));
    expect(audit.hint).toBe('check the audit log path');
    expect(commandLineFailure(audit).hint).toBe('check the --audit path');
  });

  it('turn anything else thrown into a runtime error', () => {
    expect(commandLineFailure(new Error('boom'))).toMatchObject({ kind: 'runtime', message: 'boom' });
  });
});
