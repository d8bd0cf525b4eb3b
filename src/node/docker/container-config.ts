import type Docker from 'dockerode';
import type { ZoneSpec } from '../../policy/types.js';
import { PID_LABEL, RUN_LABEL } from './engine.js';
import type { BindMount } from './mount-guard.js';
import type { ContainerUser } from './container-user.js';
import { GATE_FILE, RUN_FILES_TARGET } from './run-files.js';
import { trustStorePath } from '../../backends/container.js';

/** What one container needs, decided by the caller; {@link containerOptions} adds the fixed hardening. */
export interface ContainerPlan {
  readonly image: string;
  /** The engine's OCI runtime (`runsc`); absent: its default. */
  readonly runtime?: string;
  readonly runId: string;
  /** The host process that owns the container (for orphan cleanup). */
  readonly hostPid: number;
  readonly argv: readonly string[];
  readonly cwd: string;
  /** Never root (see containerUser). */
  readonly user: ContainerUser;
  /** Rootless podman: map goodbot's user to the same id in the container (`keep-id`), so USER is that user on the host too. */
  readonly keepUserId?: boolean;
  readonly binds: readonly BindMount[];
  /** In-memory zones, mounted as tmpfs of their quota. */
  readonly memoryZones: readonly ZoneSpec[];
  /** The run's private files (see RunFiles), mounted read-only at /run/goodbot. */
  readonly runFilesDir: string;
  /** The run's certificate bundle (a host file), mounted read-only over the image's (see trustStorePath). */
  readonly trustStore?: string;
  readonly memoryBytes: number;
  readonly cpus: number;
  readonly pids: number;
  /** Descriptors each process may hold open (`limits.files`): its `RLIMIT_NOFILE`. */
  readonly files: number;
  /** The run's internal network (see EgressNetwork); absent: no network at all. */
  readonly network?: string;
}

/** Inside the container's own namespace, where nothing serves DNS: names are resolved by the egress proxy. */
const unansweredDns = '127.0.0.1';

/** Scratch /tmp when no zone takes its place. */
const tmpSize = 64 * 1024 * 1024;

/**
 * The entrypoint: wait at the gate until goodbot has checked the container's
 * mounts (end-of-file there, when goodbot stopped the run or died, ends it
 * without running anything), start from an empty environment, take the
 * run's variables from its env file, read stdin from its stdin file, and
 * exec the command (so the command is the init's only child and gets its
 * signals).
 */
const entrypoint = [
  '/usr/bin/env',
  '-i',
  '/bin/sh',
  '-c',
  `read -r _ < ${RUN_FILES_TARGET}/${GATE_FILE} && . ${RUN_FILES_TARGET}/env && exec "$@" < ${RUN_FILES_TARGET}/stdin`,
  'goodbot',
];

/**
 * The container for PLAN, hardened the same way every time: no network
 * (or, with grants, only the run's internal network),
 * read-only root, every capability dropped, no privilege gain (setuid is
 * inert), a non-root user, caps on processes, memory (no swap on top) and
 * CPU, tmpfs scratch, an init as PID 1 that reaps and forwards signals, no
 * log driver (output is streamed to goodbot, never stored), and labels that
 * name the run and its host process.
 */
export function containerOptions(plan: ContainerPlan): Docker.ContainerCreateOptions {
  const tmpfs: Record<string, string> = {};
  for (const zone of plan.memoryZones) tmpfs[zone.guestPath] = tmpfsOptions(zone.quotaBytes ?? tmpSize, zone.access === 'ro');
  if (!plan.memoryZones.some((zone) => zone.guestPath === '/tmp') && !plan.binds.some((bind) => bind.target === '/tmp')) {
    tmpfs['/tmp'] = tmpfsOptions(tmpSize, false);
  }
  return {
    Image: plan.image,
    Entrypoint: entrypoint,
    Cmd: [...plan.argv],
    WorkingDir: plan.cwd,
    User: `${plan.user.uid}:${plan.user.gid}`,
    Env: [],
    Labels: { [RUN_LABEL]: plan.runId, [PID_LABEL]: String(plan.hostPid) },
    NetworkDisabled: plan.network === undefined,
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    HostConfig: {
      NetworkMode: plan.network ?? 'none',
      ...(plan.keepUserId === true && { UsernsMode: 'keep-id' }),
      // The engine's resolver in the container forwards to these: none that answers, so no data leaves by DNS
      // (and a lookup fails in a second rather than ten).
      // No IPv6: the host's link-local address on the bridge would be a way to its services that the INPUT rules do not cover.
      ...(plan.network !== undefined && {
        Dns: [unansweredDns],
        DnsOptions: ['timeout:1', 'attempts:1'],
        Sysctls: { 'net.ipv6.conf.all.disable_ipv6': '1' },
      }),
      ...(plan.runtime !== undefined && { Runtime: plan.runtime }),
      ReadonlyRootfs: true,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      PidsLimit: plan.pids,
      Ulimits: [{ Name: 'nofile', Soft: plan.files, Hard: plan.files }],
      Memory: plan.memoryBytes,
      MemorySwap: plan.memoryBytes,
      NanoCpus: Math.round(plan.cpus * 1e9),
      Init: true,
      IpcMode: 'private',
      LogConfig: { Type: 'none', Config: {} },
      Tmpfs: tmpfs,
      Mounts: [
        ...plan.binds.map((bind) => ({ Type: 'bind' as const, Source: bind.source, Target: bind.target, ReadOnly: bind.readOnly })),
        { Type: 'bind' as const, Source: plan.runFilesDir, Target: RUN_FILES_TARGET, ReadOnly: true },
        ...(plan.trustStore === undefined ? [] : [{ Type: 'bind' as const, Source: plan.trustStore, Target: trustStorePath, ReadOnly: true }]),
      ],
    },
  };
}

function tmpfsOptions(bytes: number, readOnly: boolean): string {
  return `${readOnly ? 'ro' : 'rw'},nosuid,nodev,size=${bytes},mode=1777`;
}
