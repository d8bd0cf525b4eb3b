import type Docker from 'dockerode';
import { isProcessAlive } from '../host/process-alive.js';
import { dockerEngine, PID_LABEL, RUN_LABEL } from './engine.js';

/** A goodbot container that nobody will remove: its process is gone, or it ended long ago. */
export interface OrphanContainer {
  readonly id: string;
  readonly runId: string;
  /** The host process that created it, as its label says (NaN when the label is missing or bad). */
  readonly pid: number;
  /** The engine's state: created, running, exited, dead… */
  readonly state: string;
  readonly reason: string;
}

export interface OrphanOptions {
  /**
   * How long an exited container whose process is alive is left to that
   * process, which reads its state before removing it. Default 30 s.
   */
  readonly exitedGraceMs?: number;
}

/**
 * goodbot's containers (all states, labelled `goodbot.run`) that are orphans:
 * the process named by `goodbot.pid` no longer exists on this host, or the
 * container has exited (dead, or exited longer ago than the grace period).
 */
export async function findOrphanContainers(engine: Docker = dockerEngine(), options: OrphanOptions = {}): Promise<OrphanContainer[]> {
  const graceMs = options.exitedGraceMs ?? 30_000;
  const containers = await engine.listContainers({ all: true, filters: { label: [RUN_LABEL] } });
  const orphans: OrphanContainer[] = [];
  for (const container of containers) {
    const pid = Number(container.Labels[PID_LABEL] ?? Number.NaN);
    const found = { id: container.Id, runId: container.Labels[RUN_LABEL] ?? '', pid, state: container.State };
    if (container.State === 'removing') continue;
    if (!isProcessAlive(pid)) orphans.push({ ...found, reason: `its process ${container.Labels[PID_LABEL] ?? '(unnamed)'} is gone` });
    else if (container.State === 'dead') orphans.push({ ...found, reason: 'it is dead' });
    else if (container.State === 'exited' && (await exitedMsAgo(engine, container.Id)) >= graceMs) {
      orphans.push({ ...found, reason: 'it has exited' });
    }
  }
  return orphans;
}

/** Removes (with force) the orphans {@link findOrphanContainers} finds; returns those it removed. */
export async function removeOrphanContainers(engine: Docker = dockerEngine(), options: OrphanOptions = {}): Promise<OrphanContainer[]> {
  const removed: OrphanContainer[] = [];
  for (const orphan of await findOrphanContainers(engine, options)) {
    try {
      await engine.getContainer(orphan.id).remove({ force: true, v: true });
      removed.push(orphan);
    } catch (error) {
      // removed meanwhile, by its own process or another doctor
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    }
  }
  return removed;
}

async function exitedMsAgo(engine: Docker, id: string): Promise<number> {
  try {
    const finishedAt = Date.parse((await engine.getContainer(id).inspect()).State.FinishedAt);
    return Number.isNaN(finishedAt) ? Number.POSITIVE_INFINITY : Date.now() - finishedAt;
  } catch {
    return 0;
  }
}

/** A goodbot network (see EgressNetwork) whose run's process is gone. */
export interface OrphanNetwork {
  readonly id: string;
  readonly name: string;
  readonly runId: string;
  readonly pid: number;
}

/** goodbot's networks (labelled `goodbot.run`) whose process named by `goodbot.pid` no longer exists on this host. */
export async function findOrphanNetworks(engine: Docker = dockerEngine()): Promise<OrphanNetwork[]> {
  const networks = await engine.listNetworks({ filters: { label: [RUN_LABEL] } });
  return networks
    .map((network) => ({
      id: network.Id,
      name: network.Name,
      runId: network.Labels?.[RUN_LABEL] ?? '',
      pid: Number(network.Labels?.[PID_LABEL] ?? Number.NaN),
    }))
    .filter((network) => !isProcessAlive(network.pid));
}

/**
 * Removes the orphans {@link findOrphanNetworks} finds, after their
 * containers (an orphan network's containers are orphans too); returns those
 * it removed.
 */
export async function removeOrphanNetworks(engine: Docker = dockerEngine()): Promise<OrphanNetwork[]> {
  const removed: OrphanNetwork[] = [];
  for (const orphan of await findOrphanNetworks(engine)) {
    try {
      await engine.getNetwork(orphan.id).remove();
      removed.push(orphan);
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    }
  }
  return removed;
}
