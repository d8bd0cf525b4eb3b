import { ensureToolsImage } from '../docker/image.js';
import { GoodbotError } from '../../errors.js';
import { reportFailure } from './command-failure.js';

export const dockerHelp = `usage: goodbot docker <command>

commands:
  build-image [--force]   build the tools image of the Docker backend,
                          goodbot/tools:<hash of wasm-tools/images/tools>, unless
                          the engine has it (--force: build it again); progress
                          goes to stderr, the image's name to stdout

The image is a minimal Debian of this machine's release with python3, jq,
sqlite3, git, gcc and common tools, built offline with debootstrap from apt's
configured mirror and imported through the Docker Engine API (a few minutes).`;

/** `goodbot docker …`: returns the process exit status. */
export async function dockerCommand(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined || command === '--help' || command === '-h') {
    console.log(dockerHelp);
    return command === undefined ? 125 : 0;
  }
  try {
    if (command !== 'build-image') throw new GoodbotError('usage', `unknown docker command '${command}'`, { hint: 'see goodbot docker --help' });
    return await buildImage(rest);
  } catch (error) {
    return reportFailure(error);
  }
}

async function buildImage(args: readonly string[]): Promise<number> {
  const unknown = args.find((arg) => arg !== '--force');
  if (unknown !== undefined) {
    throw new GoodbotError('usage', `unknown build-image argument ${unknown}`, { hint: 'goodbot docker build-image [--force]' });
  }
  const ref = await ensureToolsImage({ force: args.includes('--force'), onProgress: (line) => console.error(line) });
  console.log(ref);
  return 0;
}
