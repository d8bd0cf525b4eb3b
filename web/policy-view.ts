import type { SandboxConfig } from '../src/browser/index.js';
import { pageTools } from './examples.js';

/**
 * The policy of a page run: the two zones (`/output` starts empty; the
 * terminal's session carries its files from line to line), only the
 * chosen tool (for the shell: the page's tools), no variables, no network, a
 * deadline.
 */
export function pagePolicy(tool: string, files: Record<string, string>, timeoutMs: number): SandboxConfig {
  return {
    zones: [
      { name: 'input', mode: 'ro', files },
      { name: 'output', mode: 'rw', files: {}, quota: '16MiB' },
    ],
    tools: { allow: tool === 'sh' ? [...pageTools] : [tool] },
    env: { allow: [], set: {} },
    network: { allow: [] },
    limits: { timeout: `${timeoutMs}ms`, maxOutput: '1MiB' },
  };
}

/** Fills the policy panel: what the run may touch, in words, and the policy itself. */
export function showPolicy(list: HTMLElement, json: HTMLElement, policy: SandboxConfig): void {
  const zones = (policy.zones ?? []).map((zone) => `/${zone.name} (${zone.mode === 'ro' ? 'read-only' : 'read-write'}, in memory)`);
  const rows: [string, string][] = [
    ['Files', `${zones.join(', ')}; nothing else exists`],
    ['Tools', (policy.tools?.allow ?? []).join(', ')],
    ['Environment', 'no variables'],
    ['Network', 'none: no sockets at all'],
    ['Deadline', `${policy.limits?.timeout}, enforced inside the guest (fuel slices)`],
    ['Output cap', `${policy.limits?.maxOutput} (stdout and stderr)`],
  ];
  list.replaceChildren(
    ...rows.flatMap(([term, value]) => {
      const dt = document.createElement('dt');
      dt.textContent = term;
      const dd = document.createElement('dd');
      dd.textContent = value;
      return [dt, dd];
    }),
  );
  json.textContent = JSON.stringify(policy, null, 2);
}
