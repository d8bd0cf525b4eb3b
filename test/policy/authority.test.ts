import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/audit/events.js';
import { Authority } from '../../src/policy/authority.js';
import { parseNetworkAllow } from '../../src/policy/network-grant.js';
import type { Allowance, Denial, NetworkGrant } from '../../src/policy/types.js';

const grant: NetworkGrant = {
  allow: parseNetworkAllow(['api.example.com:443', '127.0.0.0/8:8080', '[fd00::/8]:443'], (_index, problem) => {
    throw new Error(problem);
  }),
};

function recordingAuthority() {
  const denied: Denial[] = [];
  const allowed: Allowance[] = [];
  const authority = new Authority(
    (denial) => denied.push(denial),
    (allowance) => allowed.push(allowance),
  );
  return { authority, denied, allowed };
}

describe('the Authority records every network decision', () => {
  it('records an allowed connection with the entry that granted it, and no denial', () => {
    const { authority, denied, allowed } = recordingAuthority();
    expect(authority.mayConnect(grant, { protocol: 'tcp', name: 'api.example.com', address: '93.184.216.34', port: 443 })).toBe(true);
    expect(authority.mayConnect(grant, { protocol: 'udp', address: 'fd00::0:1', port: 443 })).toBe(true);
    expect(authority.mayConnect(grant, { protocol: 'http', name: 'localhost', address: '::ffff:127.0.0.1', port: 8080 })).toBe(true);
    expect(allowed).toEqual([
      { operation: 'tcp-connect', target: 'api.example.com:443 (93.184.216.34)', grant: 'api.example.com:443' },
      { operation: 'udp-send', target: '[fd00::1]:443', grant: '[fd00::/8]:443' },
      { operation: 'http-request', target: 'localhost:8080 (127.0.0.1)', grant: '127.0.0.0/8:8080' },
    ]);
    expect(denied).toEqual([]);
    expect(authority.denials).toEqual([]);
  });

  it('records a refused connection as a network-denied denial with the error the guest sees and why: a rebinding attempt leaves a trace', () => {
    const { authority, denied, allowed } = recordingAuthority();
    expect(authority.mayConnect(grant, { protocol: 'tcp', name: 'api.example.com', address: '10.0.0.1', port: 443 })).toBe(false);
    const expected: Denial = {
      operation: 'tcp-connect',
      target: 'api.example.com:443 (10.0.0.1)',
      reason: 'network-denied',
      error: 'access-denied',
      detail: 'api.example.com resolved to 10.0.0.1 (private), which only an address entry such as 10.0.0.1:443 can grant',
    };
    expect(denied).toEqual([expected]);
    expect(authority.denials).toEqual([expected]);
    expect(allowed).toEqual([]);
  });

  it('records lookups, allowed and denied', () => {
    const { authority, denied, allowed } = recordingAuthority();
    expect(authority.mayResolve(grant, 'api.example.com')).toBe(true);
    expect(authority.mayResolve(grant, 'exfiltrate.attacker.net')).toBe(false);
    expect(allowed).toEqual([{ operation: 'ip-name-lookup', target: 'api.example.com', grant: 'api.example.com:443' }]);
    expect(denied).toEqual([
      {
        operation: 'ip-name-lookup',
        target: 'exfiltrate.attacker.net',
        reason: 'network-denied',
        error: 'access-denied',
        detail: 'no network.allow entry grants exfiltrate.attacker.net',
      },
    ]);
  });

  it('records every refused listener', () => {
    const { authority, denied } = recordingAuthority();
    expect(authority.mayListen({ protocol: 'tcp', address: '::', port: 8080 })).toBe(false);
    expect(authority.mayListen({ protocol: 'udp', address: '127.0.0.1', port: 53 })).toBe(false);
    expect(denied.map((denial) => [denial.operation, denial.target, denial.error])).toEqual([
      ['tcp-listen', '[::]:8080', 'access-denied'],
      ['udp-listen', '127.0.0.1:53', 'access-denied'],
    ]);
  });

  it('works without callbacks, keeping denials for the run result', () => {
    const authority = new Authority();
    expect(authority.mayConnect(grant, { protocol: 'tcp', address: '8.8.8.8', port: 53 })).toBe(false);
    expect(authority.denials).toHaveLength(1);
  });

  it('an allowance fits the access.allowed audit event', () => {
    const { authority, allowed } = recordingAuthority();
    authority.mayResolve(grant, 'api.example.com');
    const event: AuditEvent = { event: 'access.allowed', time: '2000-01-01T00:00:00.000Z', runId: 'r1', ...allowed[0]! };
    expect(JSON.parse(JSON.stringify(event))).toEqual({
      event: 'access.allowed',
      time: '2000-01-01T00:00:00.000Z',
      runId: 'r1',
      operation: 'ip-name-lookup',
      target: 'api.example.com',
      grant: 'api.example.com:443',
    });
  });
});
