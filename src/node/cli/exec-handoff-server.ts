import { unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { z } from 'zod';
import { GoodbotError } from '../../errors.js';
import type { WorkerPool } from '../workers/worker-pool.js';
import { execPlan } from './exec.js';
import { endLine, failureOutput, jsonText, resultJson } from './exec-result.js';
import { encodeFrame, FrameReader, type HandoffRequest, type HandoffResult } from './handoff-frames.js';
import { connectToServer, makeHandoffFolder } from './handoff-socket.js';

const requestSchema = z.strictObject({
  argv: z.array(z.string()),
  cwd: z.string().startsWith('/'),
  env: z.record(z.string(), z.string()),
  terminal: z.strictObject({ stdin: z.boolean(), stdout: z.boolean(), stderr: z.boolean() }),
  stdin: z.enum(['bytes', 'empty']),
});

/**
 * The server side of `goodbot exec`'s hand-off (see exec-handoff-client.ts):
 * takes command lines on a Unix socket in a folder only this user may enter,
 * and runs each on POOL exactly as `goodbot exec` would in the client's
 * folder with the client's environment, under the policy its own flags and
 * `--policy` file make (never the server's). What this process would run
 * differently is sent back to run in the client: `--build` (it prints the
 * build's progress) and `--audit FILE` (the client writes its own trail).
 * A client that goes away cancels its run.
 */
export class ExecHandoffServer {
  private readonly server: Server;
  private readonly connections = new Set<Socket>();

  constructor(
    private readonly pool: WorkerPool,
    readonly socketPath: string,
  ) {
    this.server = createServer((connection) => this.serve(connection));
  }

  /** Listens at the socket path, replacing a stale socket; false (and not listening) when another server answers there. */
  async listen(): Promise<boolean> {
    const problem = makeHandoffFolder(this.socketPath);
    if (problem !== undefined) {
      throw new GoodbotError('usage', `cannot take goodbot exec runs: ${problem}`, {
        path: this.socketPath,
        hint: 'make the folder private to this user (chmod 700), or set GOODBOT_STATE_DIR to a short private folder; --no-handoff serves without it',
      });
    }
    const other = await connectToServer(this.socketPath);
    if (other !== undefined) {
      other.destroy();
      return false;
    }
    try {
      unlinkSync(this.socketPath);
    } catch {
      // Nothing stale there.
    }
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.socketPath, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return true;
  }

  async close(): Promise<void> {
    for (const connection of this.connections) connection.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serve(connection: Socket): void {
    this.connections.add(connection);
    const reader = new FrameReader();
    let request: HandoffRequest | undefined;
    let started = false;
    const start = (stdin: Uint8Array) => {
      started = true;
      void this.run(connection, request!, stdin);
    };
    connection.on('data', (chunk: Buffer) => {
      try {
        for (const { kind, payload } of reader.push(chunk)) {
          if (started) throw new Error(`a ${kind} frame after the run started`);
          if (kind === 'request' && request === undefined) {
            request = requestSchema.parse(JSON.parse(new TextDecoder().decode(payload)));
            if (request.stdin === 'empty') start(new Uint8Array(0));
          } else if (kind === 'stdin' && request?.stdin === 'bytes') {
            start(payload);
          } else {
            throw new Error(`an unexpected ${kind} frame`);
          }
        }
      } catch {
        connection.destroy();
      }
    });
    connection.on('close', () => this.connections.delete(connection));
    connection.on('error', () => undefined);
  }

  private async run(connection: Socket, request: HandoffRequest, stdin: Uint8Array): Promise<void> {
    const send = (kind: 'stdout' | 'stderr' | 'result' | 'local', payload: Uint8Array | string) => {
      if (!connection.destroyed) connection.write(encodeFrame(kind, payload));
    };
    const finish = (result: HandoffResult) => {
      send('result', JSON.stringify(result));
      connection.end();
    };
    let json = request.argv.includes('--json');
    try {
      const { options, policy } = execPlan(request.argv, request.cwd);
      json = options.json;
      if (options.build || options.audit !== undefined) {
        send('local', options.build ? '--build' : '--audit');
        connection.end();
        return;
      }
      const run = this.pool.exec(policy, {
        program: options.program,
        args: options.args,
        stdin,
        hostEnv: request.env,
        collectOutput: json,
        outputEvents: false,
        ...(!json && {
          onStdout: (chunk: Uint8Array) => send('stdout', chunk),
          onStderr: (chunk: Uint8Array) => send('stderr', chunk),
          terminal: request.terminal,
        }),
      });
      connection.once('close', () => run.cancel());
      const result = await run.result;
      const line = endLine(result);
      finish({
        exitCode: result.exitCode,
        ...(json ? { stdout: jsonText(resultJson(result, 'server')) } : line !== undefined && { terminalLine: line }),
      });
    } catch (error) {
      finish(failureOutput(error, json));
    }
  }
}
