import Docker from 'dockerode';
import { GoodbotError } from '../../errors.js';
import { engineSocket } from './engine-socket.js';

/** Labels on every container goodbot creates: which run, which host process (for orphan cleanup). */
export const RUN_LABEL = 'goodbot.run';
export const PID_LABEL = 'goodbot.pid';

const clients = new Map<string, Docker>();

/** The Engine API client (dockerode over the Unix socket) of the engine at SOCKET, one per socket and process. */
export function dockerEngine(socket: string = engineSocket()): Docker {
  let client = clients.get(socket);
  if (client === undefined) {
    client = new Docker({ socketPath: socket });
    clients.set(socket, client);
  }
  return client;
}

export interface EngineStatus {
  readonly socket: string;
  readonly version: string;
  readonly apiVersion: string;
}

/**
 * Asks the engine for its version: the engine is reachable and answering.
 * Throws an `engine` error naming the socket (and FIELD, the policy's field
 * that named it) and how to start one otherwise.
 */
export async function engineStatus(engine: Docker = dockerEngine(), socket: string = engineSocket(), field?: string): Promise<EngineStatus> {
  try {
    const version = await engine.version();
    return { socket, version: version.Version, apiVersion: version.ApiVersion };
  } catch (error) {
    throw new GoodbotError('engine', `no Docker engine answers on ${socket}: ${(error as Error)?.message ?? error}`, {
      hint: 'start one (npm run setup installs docker.io and starts dockerd), or name its socket in sandbox.docker.engine or DOCKER_HOST=unix:///path/to/docker.sock',
      path: socket,
      ...(field !== undefined && { field }),
      cause: error,
    });
  }
}
