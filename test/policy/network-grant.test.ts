import { describe, expect, it } from 'vitest';
import { parseNetworkEntry, type AddressRule, type EntryProblem, type NameRule, type NetworkRule } from '../../src/policy/network-grant.js';

function rule(entry: string): NetworkRule {
  const parsed = parseNetworkEntry(entry);
  if ('problem' in parsed) throw new Error(`${parsed.problem} (${parsed.hint})`);
  return parsed;
}

function problem(entry: string): EntryProblem {
  const parsed = parseNetworkEntry(entry);
  if (!('problem' in parsed)) throw new Error(`'${entry}' was accepted`);
  return parsed;
}

const any = { from: 1, to: 65535 };

describe('network.allow grammar: accepted entries', () => {
  const accepted: [string, Omit<NameRule, 'entry'> | Omit<AddressRule, 'entry'>][] = [
    ['api.example.com:443', { kind: 'name', name: 'api.example.com', subdomains: false, ports: { from: 443, to: 443 } }],
    ['API.Example.COM.:443', { kind: 'name', name: 'api.example.com', subdomains: false, ports: { from: 443, to: 443 } }],
    ['*.example.org:443', { kind: 'name', name: 'example.org', subdomains: true, ports: { from: 443, to: 443 } }],
    ['*.example.co.uk:443', { kind: 'name', name: 'example.co.uk', subdomains: true, ports: { from: 443, to: 443 } }],
    ['db:5432', { kind: 'name', name: 'db', subdomains: false, ports: { from: 5432, to: 5432 } }],
    ['db.internal:*', { kind: 'name', name: 'db.internal', subdomains: false, ports: any }],
    ['localhost:8000-8099', { kind: 'name', name: 'localhost', subdomains: false, ports: { from: 8000, to: 8099 } }],
    ['127.0.0.1:8080', { kind: 'address', family: 'ipv4', network: '127.0.0.1', prefix: 32, ports: { from: 8080, to: 8080 } }],
    ['10.0.0.0/8:5432', { kind: 'address', family: 'ipv4', network: '10.0.0.0', prefix: 8, ports: { from: 5432, to: 5432 } }],
    ['[::1]:8080', { kind: 'address', family: 'ipv6', network: '::1', prefix: 128, ports: { from: 8080, to: 8080 } }],
    ['[fd00::/8]:443', { kind: 'address', family: 'ipv6', network: 'fd00::', prefix: 8, ports: { from: 443, to: 443 } }],
    ['[2001:DB8:0:0::1]:1-65535', { kind: 'address', family: 'ipv6', network: '2001:db8::1', prefix: 128, ports: any }],
  ];
  for (const [entry, expected] of accepted) {
    it(`parses ${entry}`, () => {
      expect(rule(entry)).toEqual({ ...expected, entry });
    });
  }
});

describe('network.allow grammar: over-broad entries are refused', () => {
  const broad: [string, string, RegExp][] = [
    ['every host at once with a bare *', '*:443', /every host/],
    ['every name under a top-level domain with *.com', '*.com:443', /top-level domain/],
    ['every name under a public suffix with *.co.uk', '*.co.uk:443', /public suffix co\.uk/],
    ['every name under a public suffix with *.com.au', '*.com.au:443', /public suffix com\.au/],
    ['the whole IPv4 Internet with 0.0.0.0/0', '0.0.0.0/0:443', /\/0 is too broad/],
    ['the whole IPv6 Internet with ::/0', '[::/0]:443', /\/0 is too broad/],
    ['half the IPv4 Internet with a /1', '128.0.0.0/1:80', /\/1 is too broad/],
    ['a large IPv4 block with a /7', '2.0.0.0/7:80', /\/7 is too broad/],
    ['all global IPv6 with 2000::/3', '[2000::/3]:443', /\/3 is too broad/],
    ['the host itself through the unspecified address 0.0.0.0', '0.0.0.0:8080', /unspecified/],
    ['the host itself through 0.0.0.0/8', '0.0.0.0/8:8080', /unspecified/],
    ['the host itself through the unspecified IPv6 address ::', '[::]:8080', /unspecified/],
    ['the host itself through ::/8, which holds :: and ::1', '[::/8]:8080', /unspecified/],
  ];
  for (const [attack, entry, message] of broad) {
    it(`refuses ${entry}: a grant of ${attack} is impossible`, () => {
      const refused = problem(entry);
      expect(refused.problem).toContain(`'${entry}'`);
      expect(refused.problem).toMatch(message);
      expect(refused.hint.length).toBeGreaterThan(0);
    });
  }
});

describe('network.allow grammar: malformed entries are refused with a hint', () => {
  const malformed: [string, RegExp, RegExp][] = [
    ['example.com', /no port/, /example\.com:\* for any port/],
    ['example.com:', /is not a port/, /1-65535/],
    ['example.com:0', /is not a port/, /1-65535/],
    ['example.com:65536', /is not a port/, /1-65535/],
    ['example.com:http', /is not a port/, /1-65535/],
    ['example.com:90-80', /is not a port/, /8000-8099/],
    ['example.com:080', /is not a port/, /1-65535/],
    ['https://example.com:443', /a URL is not an entry/, /example\.com:443/],
    ['::1:8080', /must be in brackets/, /\[::1\]:8080/],
    ['[::1]', /closing \] and then :PORT/, /\[::1\]:8080/],
    ['[::1:8080', /closing \]/, /\[::1\]:8080/],
    ['[fe80::1%eth0]:80', /not an IPv6 address/, /no %zone/],
    ['[::ffff:127.0.0.1]:80', /IPv4-mapped/, /write 127\.0\.0\.1/],
    ['[::ffff:0:0/96]:80', /IPv4-mapped/, /write 0\.0\.0\.0\/0 without/],
    ['127.1:80', /not an IPv4 address/, /four decimal numbers/],
    ['010.0.0.1:80', /not an IPv4 address/, /four decimal numbers/],
    ['300.1.1.1:80', /not an IPv4 address/, /four decimal numbers/],
    ['0x7f.0.0.1:80', /not a host name/, /not all digits/],
    ['10.0.0.1/8:80', /bits set past the prefix/, /write 10\.0\.0\.0\/8/],
    ['[fd00::1/8]:443', /bits set past the prefix/, /write \[fd00::\/8\]/],
    ['10.0.0.0/33:80', /at most \/32/, /HOST:PORT/],
    ['10.0.0.0/08:80', /not a prefix length/, /\/N with N from 8 to 32/],
    ['api.*.example.com:443', /whole first label/, /\*\.example\.org/],
    ['*api.example.com:443', /whole first label/, /\*\.example\.org/],
    ['*.*.example.com:443', /whole first label/, /\*\.example\.org/],
    ['exa mple.com:443', /not a host name/, /letters, digits/],
    ['-bad.example.com:443', /not a host name/, /letters, digits/],
    ['example.com/path:443', /not a host name/, /letters, digits/],
    ['bücher.example:443', /not an ASCII host name/, /xn--/],
  ];
  for (const [entry, message, hint] of malformed) {
    it(`refuses ${JSON.stringify(entry)}`, () => {
      const refused = problem(entry);
      expect(refused.problem).toContain(`'${entry}'`);
      expect(refused.problem).toMatch(message);
      expect(refused.hint).toMatch(hint);
    });
  }
});
