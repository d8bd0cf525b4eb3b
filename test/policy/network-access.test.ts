import { describe, expect, it } from 'vitest';
import { decideConnect, decideListen, decideResolve, isPublicAddress, parseAddress, type ConnectRequest } from '../../src/policy/network-access.js';
import { parseNetworkAllow } from '../../src/policy/network-grant.js';
import type { NetworkGrant } from '../../src/policy/types.js';

function grant(...entries: string[]): NetworkGrant {
  return {
    allow: parseNetworkAllow(entries, (_index, problem) => {
      throw new Error(problem);
    }),
  };
}

const publicV4 = '93.184.216.34';
const publicV6 = '2606:2800:220:1::1';

function connect(granted: NetworkGrant, request: Omit<ConnectRequest, 'protocol'> & { protocol?: ConnectRequest['protocol'] }) {
  return decideConnect(granted, { protocol: 'tcp', ...request });
}

/** The entry that allowed REQUEST, or undefined when it was denied. */
function allowedBy(granted: NetworkGrant, request: Omit<ConnectRequest, 'protocol'>): string | undefined {
  const decision = connect(granted, request);
  return decision.allowed ? decision.rule.entry : undefined;
}

function whyDenied(granted: NetworkGrant, request: Omit<ConnectRequest, 'protocol'>): string {
  const decision = connect(granted, request);
  if (decision.allowed) throw new Error(`allowed by ${decision.rule.entry}`);
  return decision.why;
}

describe('network decisions: deny by default', () => {
  it('an empty grant allows no connection, lookup or listener', () => {
    const none = grant();
    expect(connect(none, { name: 'example.com', address: publicV4, port: 443 }).allowed).toBe(false);
    expect(connect(none, { address: '127.0.0.1', port: 80 }).allowed).toBe(false);
    expect(decideResolve(none, 'example.com').allowed).toBe(false);
    expect(decideListen({ protocol: 'tcp', address: '127.0.0.1', port: 8080 }).allowed).toBe(false);
  });

  it('refuses listening even with a grant of the same address and port: no guest server can be exposed', () => {
    expect(decideListen({ protocol: 'tcp', address: '0.0.0.0', port: 8080 })).toEqual({
      allowed: false,
      why: 'listening (tcp on port 8080) is never granted',
    });
    expect(decideListen({ protocol: 'udp', address: '127.0.0.1', port: 5353 }).allowed).toBe(false);
  });

  it('refuses a port outside 1-65535 and an address in a legacy form', () => {
    const loopback = grant('127.0.0.0/8:*');
    expect(whyDenied(loopback, { address: '127.0.0.1', port: 0 })).toMatch(/not a port/);
    expect(whyDenied(loopback, { address: '127.1', port: 80 })).toMatch(/not an IP address/);
    expect(whyDenied(loopback, { address: '0x7f.0.0.1', port: 80 })).toMatch(/not an IP address/);
  });
});

describe('network decisions: host names', () => {
  const api = grant('api.example.com:443');

  it('allows the exact granted name on its port, in any letter case and with a trailing dot', () => {
    expect(allowedBy(api, { name: 'api.example.com', address: publicV4, port: 443 })).toBe('api.example.com:443');
    expect(allowedBy(api, { name: 'API.Example.com.', address: publicV6, port: 443 })).toBe('api.example.com:443');
  });

  it('denies other names: a sibling, a parent, or a look-alike that merely ends in the granted name cannot pass', () => {
    for (const name of ['www.example.com', 'example.com', 'evilapi.example.com.attacker.net', 'xapi.example.com', 'sub.api.example.com']) {
      expect(whyDenied(api, { name, address: publicV4, port: 443 })).toBe(`no network.allow entry grants ${name}`);
    }
  });

  it('denies a granted name on another port: a granted web host cannot be used to reach its SSH port', () => {
    expect(whyDenied(api, { name: 'api.example.com', address: publicV4, port: 22 })).toBe(
      'port 22 is not granted for api.example.com (api.example.com:443)',
    );
  });

  it('honours port ranges and * ports', () => {
    const ranged = grant('svc.example.com:8000-8099', 'any.example.com:*');
    expect(allowedBy(ranged, { name: 'svc.example.com', address: publicV4, port: 8099 })).toBe('svc.example.com:8000-8099');
    expect(allowedBy(ranged, { name: 'svc.example.com', address: publicV4, port: 8100 })).toBeUndefined();
    expect(allowedBy(ranged, { name: 'any.example.com', address: publicV4, port: 1 })).toBe('any.example.com:*');
  });

  it('a wildcard grants subdomains at any depth but not the apex, and no domain that merely ends the same way', () => {
    const wild = grant('*.example.org:443');
    expect(allowedBy(wild, { name: 'a.example.org', address: publicV4, port: 443 })).toBe('*.example.org:443');
    expect(allowedBy(wild, { name: 'a.b.example.org', address: publicV4, port: 443 })).toBe('*.example.org:443');
    expect(whyDenied(wild, { name: 'example.org', address: publicV4, port: 443 })).toMatch(/no network.allow entry grants example.org/);
    expect(whyDenied(wild, { name: 'badexample.org', address: publicV4, port: 443 })).toMatch(/no network.allow entry grants/);
    expect(allowedBy(grant('*.example.org:443', 'example.org:443'), { name: 'example.org', address: publicV4, port: 443 })).toBe('example.org:443');
  });

  it('a name grant does not grant its addresses: the guest cannot skip the name and dial the address', () => {
    expect(whyDenied(api, { address: publicV4, port: 443 })).toBe(`no network.allow entry grants ${publicV4}:443`);
  });

  it('a name that is not a host name matches nothing: a URL path or a homoglyph cannot pass as the granted name', () => {
    expect(whyDenied(api, { name: 'api.example.com/evil', address: publicV4, port: 443 })).toMatch(/not a host name/);
    expect(whyDenied(api, { name: 'аpi.example.com', address: publicV4, port: 443 })).toMatch(/not a host name/);
  });
});

describe('network decisions: addresses and ranges', () => {
  it('matches IPv4 CIDR ranges on their ports: an address outside the range or another port cannot pass', () => {
    const db = grant('10.0.0.0/8:5432');
    expect(allowedBy(db, { address: '10.1.2.3', port: 5432 })).toBe('10.0.0.0/8:5432');
    expect(allowedBy(db, { address: '11.0.0.1', port: 5432 })).toBeUndefined();
    expect(allowedBy(db, { address: '10.1.2.3', port: 5433 })).toBeUndefined();
  });

  it('matches IPv6 ranges, and never across address families: an IPv6 entry cannot let an IPv4 destination through', () => {
    const ula = grant('[fd00::/8]:443', '[::1]:8080');
    expect(allowedBy(ula, { address: 'fd12:3456::1', port: 443 })).toBe('[fd00::/8]:443');
    expect(allowedBy(ula, { address: 'FD12:3456:0:0::1', port: 443 })).toBe('[fd00::/8]:443');
    expect(allowedBy(ula, { address: 'fe80::1', port: 443 })).toBeUndefined();
    expect(allowedBy(ula, { address: '0:0:0:0:0:0:0:1', port: 8080 })).toBe('[::1]:8080');
    expect(allowedBy(ula, { address: '127.0.0.1', port: 8080 })).toBeUndefined();
    expect(allowedBy(grant('127.0.0.1:8080'), { address: '::1', port: 8080 })).toBeUndefined();
  });

  it('an address literal given as the name decides as the address alone: a name naming one address cannot cover another', () => {
    const local = grant('127.0.0.1:8080', '[::1]:8080');
    expect(allowedBy(local, { name: '127.0.0.1', address: '127.0.0.1', port: 8080 })).toBe('127.0.0.1:8080');
    expect(allowedBy(local, { name: '[::1]', address: '::1', port: 8080 })).toBe('[::1]:8080');
    expect(whyDenied(grant('10.0.0.0/8:80'), { name: '127.0.0.1', address: '10.0.0.1', port: 80 })).toBe(
      "the name '127.0.0.1' is an address other than 10.0.0.1",
    );
  });

  it('an IPv4-mapped IPv6 address is its IPv4 address: ::ffff:127.0.0.1 cannot sneak past the loopback check or an IPv4 rule', () => {
    expect(parseAddress('::ffff:127.0.0.1')?.toString()).toBe('127.0.0.1');
    expect(isPublicAddress(parseAddress('::ffff:127.0.0.1')!)).toBe(false);
    expect(whyDenied(grant('api.example.com:443'), { name: 'api.example.com', address: '::ffff:127.0.0.1', port: 443 })).toMatch(
      /resolved to 127\.0\.0\.1 \(loopback\)/,
    );
    expect(whyDenied(grant('api.example.com:443'), { name: 'api.example.com', address: '::ffff:7f00:1', port: 443 })).toMatch(/loopback/);
    expect(whyDenied(grant('[2606:2800::/32]:443'), { address: '::ffff:127.0.0.1', port: 443 })).toMatch(/no network.allow entry/);
    expect(allowedBy(grant('127.0.0.1:8080'), { address: '::ffff:127.0.0.1', port: 8080 })).toBe('127.0.0.1:8080');
    expect(allowedBy(grant('10.0.0.0/8:80'), { address: '::ffff:127.0.0.1', port: 80 })).toBeUndefined();
  });
});

describe('network decisions: DNS rebinding', () => {
  const named = grant('api.example.com:443', '93.184.0.0/16:443');

  it('refuses a granted name resolving to loopback when only a name and a public range are granted: DNS rebinding cannot reach host services', () => {
    expect(whyDenied(named, { name: 'api.example.com', address: '127.0.0.1', port: 443 })).toBe(
      'api.example.com resolved to 127.0.0.1 (loopback), which only an address entry such as 127.0.0.1:443 can grant',
    );
    expect(whyDenied(named, { name: 'api.example.com', address: '::1', port: 443 })).toMatch(/\(loopback\).*\[::1\]:443/);
  });

  it('allows a granted name resolving to loopback when 127.0.0.0/8 is granted on that port', () => {
    const withLoopback = grant('api.example.com:443', '127.0.0.0/8:443');
    expect(allowedBy(withLoopback, { name: 'api.example.com', address: '127.0.0.1', port: 443 })).toBe('127.0.0.0/8:443');
    expect(allowedBy(grant('api.example.com:443', '127.0.0.0/8:80'), { name: 'api.example.com', address: '127.0.0.1', port: 443 })).toBeUndefined();
  });

  const special: [string, string, string][] = [
    ['the cloud metadata service (link-local)', '169.254.169.254', 'linkLocal'],
    ['a private network', '10.0.0.5', 'private'],
    ['a private network', '192.168.1.1', 'private'],
    ['carrier-grade NAT space', '100.64.0.1', 'carrierGradeNat'],
    ['the host through the unspecified address (0.0.0.0 day)', '0.0.0.0', 'unspecified'],
    ['the host through the unspecified IPv6 address', '::', 'unspecified'],
    ['a unique-local IPv6 network', 'fd00::1', 'uniqueLocal'],
    ['a link-local IPv6 address', 'fe80::1', 'linkLocal'],
    ['loopback through a 6to4 address', '2002:7f00:1::', '6to4'],
    ['loopback through a NAT64 address', '64:ff9b::7f00:1', 'rfc6052'],
    ['loopback through an IPv4-compatible IPv6 address', '::7f00:1', 'not global unicast'],
    ['a multicast group', '224.0.0.1', 'multicast'],
    ['the broadcast address', '255.255.255.255', 'broadcast'],
  ];
  for (const [what, address, range] of special) {
    it(`refuses a granted name resolving to ${address}: DNS rebinding cannot reach ${what}`, () => {
      expect(whyDenied(named, { name: 'api.example.com', address, port: 443 })).toContain(`(${range})`);
    });
  }

  it('allows a granted name resolving to public IPv4 and IPv6 addresses', () => {
    expect(allowedBy(named, { name: 'api.example.com', address: '151.101.1.1', port: 443 })).toBe('api.example.com:443');
    expect(allowedBy(named, { name: 'api.example.com', address: publicV6, port: 443 })).toBe('api.example.com:443');
  });

  it('applies the same rules to UDP and HTTP', () => {
    for (const protocol of ['udp', 'http'] as const) {
      expect(connect(named, { protocol, name: 'api.example.com', address: '127.0.0.1', port: 443 }).allowed).toBe(false);
      expect(connect(named, { protocol, name: 'api.example.com', address: publicV4, port: 443 }).allowed).toBe(true);
    }
  });
});

describe('network decisions: name lookups', () => {
  const granted = grant('api.example.com:443', '*.example.org:443', '10.0.0.0/8:5432');

  it('allows looking up only names some entry could match', () => {
    expect(decideResolve(granted, 'api.example.com')).toMatchObject({ allowed: true, rule: { entry: 'api.example.com:443' } });
    expect(decideResolve(granted, 'A.B.Example.org.')).toMatchObject({ allowed: true, rule: { entry: '*.example.org:443' } });
  });

  it('refuses looking up any other name: an ungranted lookup cannot leak data through DNS queries', () => {
    expect(decideResolve(granted, 'secret-data.attacker.net')).toEqual({
      allowed: false,
      why: 'no network.allow entry grants secret-data.attacker.net',
    });
    expect(decideResolve(granted, 'example.org').allowed).toBe(false);
    expect(decideResolve(granted, 'not a name').allowed).toBe(false);
  });

  it('an address literal resolves only when an address entry covers it', () => {
    expect(decideResolve(granted, '10.9.8.7')).toMatchObject({ allowed: true, rule: { entry: '10.0.0.0/8:5432' } });
    expect(decideResolve(granted, '127.0.0.1').allowed).toBe(false);
    expect(decideResolve(granted, '::ffff:10.0.0.1').allowed).toBe(true);
  });
});
