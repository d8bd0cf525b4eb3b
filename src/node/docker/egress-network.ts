import type Docker from 'dockerode';
import { GoodbotError } from '../../errors.js';
import { PID_LABEL, RUN_LABEL } from './engine.js';

/** A run's internal Docker network: no route out; the host is reachable at its gateway. */
export interface EgressNetwork {
  readonly id: string;
  readonly name: string;
  /** The bridge interface on the host (`gb-` and the run id's first 12 hex digits). */
  readonly bridge: string;
  /** The host's address on the network, where the egress proxy listens. */
  readonly gateway: string;
  /** The network's subnet (CIDR): the only clients the proxy serves. */
  readonly subnet: string;
}

/**
 * Creates RUN_ID's network: a bridge with `internal: true` (the engine adds
 * no route or NAT out of it), labelled like goodbot's containers so an
 * orphan sweep finds it. Containers on it do not reach each other (icc off).
 */
export async function createEgressNetwork(engine: Docker, runId: string): Promise<EgressNetwork> {
  const bridge = `gb-${runId.replace(/[^0-9a-zA-Z]/g, '').slice(0, 12)}`;
  const created = await engine.createNetwork({
    Name: `goodbot-${runId}`,
    Driver: 'bridge',
    Internal: true,
    CheckDuplicate: true,
    Labels: { [RUN_LABEL]: runId, [PID_LABEL]: String(process.pid) },
    Options: { 'com.docker.network.bridge.enable_icc': 'false', 'com.docker.network.bridge.name': bridge },
  });
  const info = (await created.inspect()) as { Id: string; Name: string; IPAM?: { Config?: { Subnet?: string; Gateway?: string }[] } };
  const config = info.IPAM?.Config?.find((entry) => entry.Subnet !== undefined && entry.Gateway !== undefined && !entry.Subnet.includes(':'));
  if (config === undefined) {
    await created.remove().catch(() => {});
    throw new GoodbotError('engine', `the Docker engine gave network ${info.Name} no IPv4 subnet and gateway`, {
      hint: 'check the engine with goodbot doctor, and its default address pools (daemon.json default-address-pools)',
    });
  }
  return { id: info.Id, name: info.Name, bridge, gateway: config.Gateway!, subnet: config.Subnet! };
}

/** Removes NETWORK (its containers must be gone); a network already removed is fine. */
export async function removeEgressNetwork(engine: Docker, network: EgressNetwork): Promise<void> {
  await engine
    .getNetwork(network.id)
    .remove()
    .catch((error: { statusCode?: number }) => {
      if (error.statusCode !== 404) throw error;
    });
}
