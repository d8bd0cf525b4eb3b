import type Docker from 'dockerode';
import { dockerEngine } from '../../src/node/docker/engine.js';

export interface ContainerResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs CMD in a fresh container of IMAGE without a network, and removes the
 * container whatever happens.
 */
export async function runInImage(image: string, cmd: string[], engine: Docker = dockerEngine()): Promise<ContainerResult> {
  const container = await engine.createContainer({
    Image: image,
    Cmd: cmd,
    NetworkDisabled: true,
    Tty: false,
    HostConfig: { NetworkMode: 'none' },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const logs = await container.logs({ stdout: true, stderr: true, follow: false });
    return { exitCode: StatusCode, ...demultiplex(logs) };
  } finally {
    await container.remove({ force: true }).catch(() => {});
  }
}

/** Splits the engine's multiplexed log stream (8-byte frame headers: stream, 0, 0, 0, size) into stdout and stderr. */
function demultiplex(logs: Buffer): { stdout: string; stderr: string } {
  const parts: Record<number, Buffer[]> = { 1: [], 2: [] };
  for (let at = 0; at + 8 <= logs.length;) {
    const size = logs.readUInt32BE(at + 4);
    parts[logs[at]!]?.push(logs.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return { stdout: Buffer.concat(parts[1]!).toString('utf8'), stderr: Buffer.concat(parts[2]!).toString('utf8') };
}

/** Whether the engine still has the container ID. */
export async function containerExists(id: string, engine: Docker = dockerEngine()): Promise<boolean> {
  return engine
    .getContainer(id)
    .inspect()
    .then(
      () => true,
      (error: { statusCode?: number }) => {
        if (error.statusCode === 404) return false;
        throw error;
      },
    );
}
