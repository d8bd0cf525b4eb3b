import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * The image goodbot's Docker backend runs tools in (asked of goodbot itself,
 * which builds it if needed), or undefined when no Docker engine answers:
 * the Docker contenders are then left out.
 */
export function toolsImage(root: string, cwd: string): string | undefined {
  if (spawnSync('docker', ['info'], { stdio: 'ignore' }).status !== 0) return undefined;
  const cli = join(root, 'dist', 'node', 'cli', 'main.js');
  const result = spawnSync(process.execPath, [cli, 'exec', '--backend=docker', '--json', '--', 'true'], { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`goodbot exec --backend=docker true failed: ${result.stderr}`);
  return (JSON.parse(result.stdout) as { image: string }).image;
}
