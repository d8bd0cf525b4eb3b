import { describe, expect, it } from 'vitest';
import { Authority } from '../../../src/policy/authority.js';
import { parseNetworkAllow } from '../../../src/policy/network-grant.js';
import { NetworkGate } from '../../../src/wasi/common/network-gate.js';
import type { NetworkTransport } from '../../../src/wasi/common/network-protocol.js';

const noTransport = (): NetworkTransport => {
  throw new Error('the gate must not open the network to decide');
};

function gateFor(entries: string[], open: (() => NetworkTransport) | 'no network' = noTransport) {
  const allowances: string[] = [];
  const authority = new Authority(undefined, (allowance) => allowances.push(`${allowance.operation} ${allowance.target}`));
  const grant = {
    allow: parseNetworkAllow(entries, () => {
      throw new Error('bad entry');
    }),
  };
  return { gate: new NetworkGate(grant, authority, open === 'no network' ? undefined : open), authority, allowances };
}

describe('the network gate', () => {
  it('gives no socket capability without grants, or on a platform without a network', () => {
    expect(gateFor([]).gate.enabled).toBe(false);
    expect(gateFor(['example.com:443'], 'no network').gate.enabled).toBe(false);
    expect(gateFor(['example.com:443']).gate.enabled).toBe(true);
    const { gate, authority } = gateFor(['example.com:443'], 'no network');
    gate.refuse('tcp-create', 'ipv4');
    expect(authority.denials).toEqual([
      { operation: 'tcp-create', target: 'ipv4', reason: 'network-denied', error: 'access-denied', detail: 'this platform has no network' },
    ]);
  });

  it('attack: connecting to a public address of a granted name without having looked the name up in this run', () => {
    const { gate, authority } = gateFor(['api.example.com:443']);
    expect(gate.mayConnect('tcp', '93.184.216.34', 443)).toBe(false);
    expect(authority.denials[0]).toMatchObject({ target: '93.184.216.34:443', detail: 'no network.allow entry grants 93.184.216.34:443' });
  });

  it('checks an address the guest looked up with the name it looked up, in any of its forms', () => {
    const { gate, allowances } = gateFor(['api.example.com:443']);
    gate.remember('other.example.net', ['93.184.216.34']);
    gate.remember('api.example.com', ['93.184.216.34', '2606:2800:220:1::']);
    expect(gate.mayConnect('tcp', '::ffff:93.184.216.34', 443)).toBe(true);
    expect(gate.mayConnect('tcp', '2606:2800:220:1:0:0:0:0', 443)).toBe(true);
    expect(allowances).toEqual(['tcp-connect api.example.com:443 (93.184.216.34)', 'tcp-connect api.example.com:443 ([2606:2800:220:1::])']);
  });

  it('attack: a granted name resolving to a private address (DNS rebinding)', () => {
    const { gate, authority } = gateFor(['api.example.com:443']);
    gate.remember('api.example.com', ['10.0.0.5']);
    expect(gate.mayConnect('tcp', '10.0.0.5', 443)).toBe(false);
    expect(authority.denials[0]!.detail).toMatch(/resolved to 10\.0\.0\.5 \(private\)/);
  });

  it('sends an HTTP request to the first address the policy grants, recording one decision', () => {
    const { gate, authority, allowances } = gateFor(['localhost:8080', '127.0.0.1:8080']);
    expect(gate.chooseAddress('localhost', ['::1', '127.0.0.1'], 8080)).toBe('127.0.0.1');
    expect(allowances).toEqual(['http-request localhost:8080 (127.0.0.1)']);
    expect(authority.denials).toEqual([]);
    expect(gate.chooseAddress('localhost', ['::1'], 8080)).toBeUndefined();
    expect(authority.denials).toHaveLength(1);
  });

  it('attack: an HTTP request whose host no grant could match is refused before any lookup', () => {
    const { gate, authority } = gateFor(['api.example.com:443']);
    expect(gate.mayLookUpFor('exfiltrate.attacker.example', 'http-request', 'https://exfiltrate.attacker.example/')).toBe(false);
    expect(authority.denials).toEqual([
      {
        operation: 'http-request',
        target: 'https://exfiltrate.attacker.example/',
        reason: 'network-denied',
        error: 'access-denied',
        detail: 'no network.allow entry grants exfiltrate.attacker.example',
      },
    ]);
  });

  it('attack: binding a fixed port (listening is never granted)', () => {
    const { gate, authority } = gateFor(['127.0.0.1:*']);
    expect(gate.mayListen('tcp', '0.0.0.0', 8080)).toBe(false);
    expect(authority.denials[0]).toMatchObject({ operation: 'tcp-listen', target: '0.0.0.0:8080' });
  });
});
