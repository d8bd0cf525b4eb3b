import { ensureToolsRootfs } from '../docker/image.js';
import { GoodbotError } from '../../errors.js';
import { reportFailure } from './command-failure.js';

export const namespaceHelp = `usage: goodbot namespace <command>

commands:
  build-rootfs [--force]  unpack the root filesystem of the namespace backend
                          (the tools image's Debian userland) into goodbot's
                          cache, unless it is there (--force: again): exported
                          from the Docker engine when it has the tools image,
                          else built offline with debootstrap (minutes);
                          progress goes to stderr, its folder to stdout

goodbot doctor checks it against the digest recorded when it was unpacked.`;

/** `goodbot namespace …`: returns the process exit status. */
export async function namespaceCommand(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined || command === '--help' || command === '-h') {
    console.log(namespaceHelp);
    return command === undefined ? 125 : 0;
  }
  try {
    if (command !== 'build-rootfs')
      throw new GoodbotError('usage', `unknown namespace command '${command}'`, { hint: 'see goodbot namespace --help' });
    const unknown = rest.find((arg) => arg !== '--force');
    if (unknown !== undefined) {
      throw new GoodbotError('usage', `unknown build-rootfs argument ${unknown}`, { hint: 'goodbot namespace build-rootfs [--force]' });
    }
    const rootfs = await ensureToolsRootfs({ force: rest.includes('--force'), onProgress: (line) => console.error(line) });
    console.log(rootfs.root);
    return 0;
  } catch (error) {
    return reportFailure(error);
  }
}
