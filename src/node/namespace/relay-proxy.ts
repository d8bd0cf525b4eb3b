import { chmodSync, closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerJob } from '../../backends/container.js';
import { EgressProxy } from '../docker/egress-proxy.js';
import { proxyEnvironment } from '../docker/proxy-environment.js';
import { privateParent } from '../docker/run-files.js';
import { trustEnvironment } from '../docker/sandbox-trust.js';

/** The loopback port the relay inside a sandbox listens on. */
const relayPort = 3128;

/** Linux's O_PATH (Node does not name it): a descriptor that only points at the socket. */
const O_PATH = 0o10000000;

/**
 * A namespace run's way out: the run's egress proxy on a Unix socket in a
 * private folder, held open (FD) so it can be handed to the sandbox, whose
 * relay (goodbot's init) carries loopback connections to it. The sandbox
 * shares no network with the host.
 */
export interface RelayProxy {
  readonly fd: number;
  readonly port: number;
  /** The proxy variables for the guest, pointing at the relay (and, with secrets, the trust store's). */
  readonly environment: Readonly<Record<string, string>>;
  /** With secrets: the certificate of the run's own authority, for the sandbox's trust store. */
  readonly authority?: string;
  close(): Promise<void>;
}

export async function startRelayProxy(network: NonNullable<ContainerJob['network']>, certificatesValidForMs: number): Promise<RelayProxy> {
  const dir = mkdtempSync(join(privateParent(), `${process.pid}-net-`));
  const socketPath = join(dir, 'proxy.sock');
  let proxy: EgressProxy | undefined;
  try {
    proxy = await EgressProxy.start({ ...network, listen: { socketPath }, certificatesValidForMs });
    // The sandbox's user (a uid of its own when goodbot is root) connects: connecting needs write permission.
    // The folder stays closed to everyone else.
    chmodSync(socketPath, 0o666);
    const fd = openSync(socketPath, O_PATH | constants.O_NOFOLLOW);
    const started = proxy;
    const authority = proxy.certificateAuthority?.certificate;
    return {
      fd,
      port: relayPort,
      environment: { ...proxyEnvironment(`http://127.0.0.1:${relayPort}`), ...(authority !== undefined && trustEnvironment()) },
      ...(authority !== undefined && { authority }),
      close: async () => {
        closeSync(fd);
        await started.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await proxy?.close();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
