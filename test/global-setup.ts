import { execFileSync } from 'node:child_process';
import { testAuthority } from './helpers/test-authority.js';

/**
 * Builds what the tests run: the guests (incremental), and dist/ with the
 * CLI's bundle (the CLI tests start `goodbot` as users do).
 */
export default function setup(): void {
  execFileSync(process.execPath, ['wasm-tools/build-guests.mjs'], { stdio: 'inherit' });
  execFileSync('npm', ['run', '-s', 'build'], { stdio: 'inherit' });
  // The test processes (forked after this) trust the tests' own authority, as a user trusts a private one.
  process.env['NODE_EXTRA_CA_CERTS'] = testAuthority().certificateFile;
}
