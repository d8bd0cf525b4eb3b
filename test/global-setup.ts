import { execFileSync } from 'node:child_process';

/**
 * Builds what the tests run: the guests (incremental) and dist/ (the CLI tests
 * start `goodbot` as users do). Both are no-ops when current.
 */
export default function setup(): void {
  execFileSync(process.execPath, ['wasm-tools/build-guests.mjs'], { stdio: 'inherit' });
  execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
}
