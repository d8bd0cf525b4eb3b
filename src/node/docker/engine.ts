import Docker from 'dockerode';
import { GoodbotError } from '../../errors.js';
import { engineSocket } from './engine-socket.js';

/** Labels on every container goodbot creates: which run, which host process (for orphan cleanup). */
export const RUN_LABEL = 'goodbot.run';
export const PID_LABEL = 'goodbot.pid';

let shared: Docker | undefined;

/** The Docker Engine API client (dockerode over the unix socket), one per process. */
export function dockerEngine(): Docker {
  return (shared ??= new Docker({ socketPath: engineSocket() }));
}

export interface EngineStatus {
  readonly socket: string;
  readonly version: string;
  readonly apiVersion: string;
}

/**
 * Asks the engine for its version: the engine is reachable and answering.
 * Throws an `engine` error naming the socket and how to start one otherwise.
 */
export async function engineStatus(engine: Docker = dockerEngine()): Promise<EngineStatus> {
  const socket = engineSocket();
  try {
    const version = await engine.version();
    return { socket, version: version.Version, apiVersion: version.ApiVersion };
  } catch (error) {
    throw new GoodbotError('engine', `no Docker engine answers on ${socket}: ${(error as Error)?.message ?? error}`, {
      hint: 'start one (npm run setup installs docker.io and starts dockerd), or set DOCKER_HOST=unix:///path/to/docker.sock',
      path: socket,
      cause: error,
    });
  }
}
