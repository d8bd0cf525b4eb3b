import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { GoodbotError } from '../../errors.js';
import { isProcessAlive } from '../host/process-alive.js';
import { PID_LABEL, RUN_LABEL } from './engine.js';

const run = promisify(execFile);

/**
 * An internal Docker network has no route out, but the host itself is on it:
 * a container reaches every host service that listens on all addresses (or
 * on any of the host's addresses), because the engine filters forwarded
 * packets only. These INPUT rules drop everything that enters the host from
 * the run's bridge except connections to the egress proxy. They are tagged
 * with the run and its process, so an orphan sweep finds them.
 */
export interface HostFirewall {
  /** Removes the rules (those already gone are fine). */
  remove(): Promise<void>;
}

export interface FirewallPlan {
  readonly runId: string;
  /** The run's bridge interface on the host. */
  readonly bridge: string;
  /** The proxy's address and port: the one thing the container may reach on the host. */
  readonly proxyAddress: string;
  readonly proxyPort: number;
}

async function iptables(args: readonly string[]): Promise<void> {
  await run('iptables', ['-w', ...args]);
}

/** Installs PLAN's rules; throws an `engine` error when that is impossible (not root, no iptables): a run never goes on without them. */
export async function closeHostToBridge(plan: FirewallPlan): Promise<HostFirewall> {
  const tag = ['-m', 'comment', '--comment', `${RUN_LABEL}=${plan.runId} ${PID_LABEL}=${process.pid}`];
  const rules = [
    ['-i', plan.bridge, ...tag, '-j', 'DROP'],
    ['-i', plan.bridge, '-d', plan.proxyAddress, '-p', 'tcp', '--dport', String(plan.proxyPort), ...tag, '-j', 'ACCEPT'],
  ];
  const installed: string[][] = [];
  const remove = async () => {
    for (const rule of installed.splice(0).reverse()) await iptables(['-D', 'INPUT', ...rule]).catch(() => {});
  };
  try {
    for (const rule of rules) {
      await iptables(['-I', 'INPUT', '1', ...rule]);
      installed.push(rule);
    }
  } catch (error) {
    await remove();
    throw new GoodbotError(
      'engine',
      `cannot keep the container of a run with network grants away from the host's own services: iptables failed: ${(error as Error).message.split('\n')[0]}`,
      {
        hint: 'network grants on the docker backend need goodbot to run as root with iptables (as dockerd does); or run the tool on the wasm backend',
        cause: error,
      },
    );
  }
  return { remove };
}

/** Removes goodbot's INPUT rules whose process is gone; returns the runs they belonged to. */
export async function removeOrphanFirewallRules(): Promise<string[]> {
  const listed = await run('iptables', ['-w', '-S', 'INPUT']).catch(() => undefined);
  if (listed === undefined) return [];
  const runs = new Set<string>();
  for (const line of listed.stdout.split('\n')) {
    const tag = new RegExp(`${RUN_LABEL}=(\\S+) ${PID_LABEL}=(\\d+)`).exec(line);
    if (tag === null || !line.startsWith('-A INPUT ') || isProcessAlive(Number(tag[2]))) continue;
    const rule = parseRule(line.slice('-A INPUT '.length));
    await iptables(['-D', 'INPUT', ...rule]).catch(() => {});
    runs.add(tag[1]!);
  }
  return [...runs];
}

/** The arguments of an `iptables -S` rule: words, and double-quoted words (a comment). */
function parseRule(text: string): string[] {
  return [...text.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((match) => match[1] ?? match[2]!);
}
