import type Docker from 'dockerode';
import { GoodbotError } from '../../errors.js';

/** What goodbot needs to know of an engine before it trusts it with a run. */
export interface EngineProfile {
  readonly product: 'docker' | 'podman';
  readonly version: string;
  /** Runs as an unprivileged user: its containers' uids are mapped into that user's subordinate ids. */
  readonly rootless: boolean;
  /** The host's cgroup version as the engine reports it; undefined when it does not say. */
  readonly cgroupVersion?: 1 | 2;
}

/** The parts of the engine's answers {@link engineProfileOf} reads. */
export interface EngineAnswers {
  /** `GET /version` */
  readonly version: { Version?: string; Components?: readonly { Name?: string; Version?: string }[] };
  /** `GET /info` (the Docker API's, which podman serves too) */
  readonly info: { SecurityOptions?: readonly string[]; CgroupVersion?: string };
  /** `GET /libpod/info`, podman only: its compatible `/info` does not say whether it is rootless. */
  readonly libpodInfo?: { host?: { security?: { rootless?: boolean }; cgroupVersion?: string } };
}

/** podman's component in an engine's `/version` answer; undefined for Docker's engine. */
function podmanComponent(version: EngineAnswers['version']): { Name?: string; Version?: string } | undefined {
  return version.Components?.find((component) => component.Name === 'Podman Engine');
}

/** An engine's profile from its answers. */
export function engineProfileOf(answers: EngineAnswers): EngineProfile {
  const podman = podmanComponent(answers.version);
  const cgroup = answers.libpodInfo?.host?.cgroupVersion?.replace(/^v/, '') ?? answers.info.CgroupVersion;
  const rootless =
    podman !== undefined ? answers.libpodInfo?.host?.security?.rootless === true : (answers.info.SecurityOptions ?? []).includes('name=rootless');
  return {
    product: podman === undefined ? 'docker' : 'podman',
    version: podman?.Version ?? answers.version.Version ?? 'unknown',
    rootless,
    ...((cgroup === '1' || cgroup === '2') && { cgroupVersion: Number(cgroup) as 1 | 2 }),
  };
}

const profiles = new Map<string, Promise<EngineProfile>>();

/** The profile of the engine at SOCKET (ENGINE its client), asked once per process. */
export function engineProfile(engine: Docker, socket: string): Promise<EngineProfile> {
  let profile = profiles.get(socket);
  if (profile === undefined) {
    profile = askEngine(engine);
    profiles.set(socket, profile);
    profile.catch(() => profiles.delete(socket)); // an engine not up yet is asked again next time
  }
  return profile;
}

async function askEngine(engine: Docker): Promise<EngineProfile> {
  const [version, info] = await Promise.all([engine.version(), engine.info() as Promise<EngineAnswers['info']>]);
  const podman = podmanComponent(version);
  // podman's own API lives under its version, as /v4.3.1/libpod/…
  const libpodInfo =
    podman === undefined
      ? undefined
      : await new Promise<EngineAnswers['libpodInfo']>((resolve, reject) =>
          engine.modem.dial({ path: `/v${podman.Version}/libpod/info`, method: 'GET', statusCodes: { 200: true } }, (error, data) =>
            error ? reject(error as Error) : resolve(data as EngineAnswers['libpodInfo']),
          ),
        );
  return engineProfileOf({ version, info, ...(libpodInfo !== undefined && { libpodInfo }) });
}

/**
 * Refuses an engine that cannot carry out the policy: a rootless engine on
 * cgroup v1 cannot cap a container's memory or processes (podman says so
 * and runs it anyway); rootless Docker maps the container's users to ids
 * that own nothing in the zones (podman's keep-id has no Docker
 * equivalent); and a rootless engine's networks live in a namespace of the
 * engine's user, where goodbot's egress proxy cannot listen, so network
 * grants cannot be enforced there.
 */
export function refuseUnfitEngine(profile: EngineProfile, socket: string, networkGranted: boolean): void {
  if (!profile.rootless) return;
  const name = `rootless ${profile.product === 'podman' ? 'podman' : 'Docker'} ${profile.version} at ${socket}`;
  const fail = (problem: string, hint: string) => {
    throw new GoodbotError('engine', `${name} ${problem}`, { field: 'sandbox.docker.engine', path: socket, hint });
  };
  if (profile.cgroupVersion !== 2) {
    fail(
      "runs on cgroup v1, where a rootless engine cannot cap a container's memory or processes",
      'use a rootful engine, a host with cgroup v2, or the namespace backend',
    );
  }
  if (profile.product === 'docker') {
    fail(
      "maps the container's user to an id that owns nothing in the zones",
      'use rootless podman (goodbot runs it with keep-id) or a rootful engine',
    );
  }
  if (networkGranted) {
    fail(
      "keeps its networks in its user's own namespace, where goodbot's egress proxy cannot listen",
      'use a rootful engine or the namespace backend for runs with network grants',
    );
  }
}
