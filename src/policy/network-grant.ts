import ipaddr from 'ipaddr.js';

/**
 * The grammar of `network.allow` entries, parsed into plain-data rules (a
 * compiled policy is frozen, digested and posted to workers, so no class
 * instances). Every entry names its ports; there is no implicit "any port".
 *
 *     api.example.com:443      one host name, one port
 *     *.example.org:443        every subdomain of example.org (not the apex)
 *     127.0.0.1:8080           one IPv4 address
 *     10.0.0.0/8:5432          an IPv4 range (prefix /8 or longer)
 *     [::1]:8080               one IPv6 address, in brackets
 *     [fd00::/8]:443           an IPv6 range
 *     db.internal:*            any port;  host:8000-8099  a port range
 */

/** Inclusive port range; `*` is 1-65535. */
export interface PortRange {
  readonly from: number;
  readonly to: number;
}

/** A host name, exact or (with `subdomains`) every name below it but not itself. */
export interface NameRule {
  readonly kind: 'name';
  /** The entry as written, named in audit records and messages. */
  readonly entry: string;
  /** Lower case, without a trailing dot or the `*.` of a wildcard. */
  readonly name: string;
  readonly subdomains: boolean;
  readonly ports: PortRange;
}

/** An address or CIDR range; `network` is canonical and has no host bits set. */
export interface AddressRule {
  readonly kind: 'address';
  readonly entry: string;
  readonly family: 'ipv4' | 'ipv6';
  readonly network: string;
  readonly prefix: number;
  readonly ports: PortRange;
}

export type NetworkRule = NameRule | AddressRule;

/** An entry that is not a grant: what is wrong and how to write it. */
export interface EntryProblem {
  readonly problem: string;
  readonly hint: string;
}

/** Shorter prefixes grant a sixteenth of the Internet or more. */
export const shortestPrefix = 8;

/** Second-level labels that, under a two-letter country code, make a public suffix (`co.uk`, `com.au`). */
const publicSecondLevels = new Set([
  'ac',
  'co',
  'com',
  'ed',
  'edu',
  'go',
  'gob',
  'gov',
  'gv',
  'ltd',
  'mil',
  'ne',
  'net',
  'nom',
  'or',
  'org',
  'plc',
  'sch',
]);

const label = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

const forms = 'write HOST:PORT, *.DOMAIN:PORT, IPV4[/PREFIX]:PORT or [IPV6[/PREFIX]]:PORT; PORT is a number, FROM-TO or *';

/** Parses one `network.allow` entry (or `--allow-net` value). */
export function parseNetworkEntry(entry: string): NetworkRule | EntryProblem {
  const bad = (problem: string, hint = forms): EntryProblem => ({ problem: `'${entry}': ${problem}`, hint });
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(entry)) return bad('a URL is not an entry', 'write only the host and port, e.g. example.com:443');
  const inBrackets = entry.startsWith('[');
  let host: string;
  let portText: string;
  if (inBrackets) {
    const close = entry.indexOf(']');
    if (close < 0 || entry[close + 1] !== ':')
      return bad('a bracketed IPv6 address needs a closing ] and then :PORT', 'write e.g. [::1]:8080 or [fd00::/8]:443');
    host = entry.slice(1, close);
    portText = entry.slice(close + 2);
  } else {
    const colon = entry.lastIndexOf(':');
    if (colon < 0) return bad('no port', `write ${entry}:PORT, ${entry}:FROM-TO, or ${entry}:* for any port`);
    host = entry.slice(0, colon);
    portText = entry.slice(colon + 1);
    if (host.includes(':')) return bad('an IPv6 address must be in brackets', `write [${host}]:${portText}`);
  }
  const ports = parsePorts(portText);
  if (ports === undefined)
    return bad(`'${portText}' is not a port, a port range or *`, 'write a port 1-65535, a range such as 8000-8099, or * for any port');

  if (inBrackets || /^[0-9.]+(?:\/.*)?$/.test(host)) return parseAddressRule(entry, host, inBrackets ? 'ipv6' : 'ipv4', ports, bad);
  return parseNameRule(entry, host, ports, bad);
}

/** The rules of a whole list; FAIL is told the index of the first bad entry. */
export function parseNetworkAllow(entries: readonly string[], fail: (index: number, problem: string, hint: string) => never): NetworkRule[] {
  return entries.map((entry, index) => {
    const parsed = parseNetworkEntry(entry);
    return 'problem' in parsed ? fail(index, parsed.problem, parsed.hint) : parsed;
  });
}

function parsePorts(text: string): PortRange | undefined {
  if (text === '*') return { from: 1, to: 65535 };
  const match = /^([1-9][0-9]{0,4})(?:-([1-9][0-9]{0,4}))?$/.exec(text);
  if (!match) return undefined;
  const from = Number(match[1]);
  const to = match[2] === undefined ? from : Number(match[2]);
  return from <= to && to <= 65535 ? { from, to } : undefined;
}

function parseAddressRule(
  entry: string,
  host: string,
  family: 'ipv4' | 'ipv6',
  ports: PortRange,
  bad: (problem: string, hint?: string) => EntryProblem,
): AddressRule | EntryProblem {
  const slash = host.indexOf('/');
  const addressText = slash < 0 ? host : host.slice(0, slash);
  const prefixText = slash < 0 ? undefined : host.slice(slash + 1);
  const valid = family === 'ipv4' ? ipaddr.IPv4.isValidFourPartDecimal(addressText) : ipaddr.IPv6.isValid(addressText) && !addressText.includes('%');
  if (!valid) {
    return family === 'ipv4'
      ? bad(`'${addressText}' is not an IPv4 address`, 'write four decimal numbers, e.g. 127.0.0.1 or 10.0.0.0/8')
      : bad(`'${addressText}' is not an IPv6 address`, 'write e.g. [::1]:8080 or [fd00::/8]:443 (no %zone)');
  }
  const bits = family === 'ipv4' ? 32 : 128;
  if (prefixText !== undefined && !/^(?:0|[1-9][0-9]{0,2})$/.test(prefixText))
    return bad(`'/${prefixText}' is not a prefix length`, `write /N with N from ${shortestPrefix} to ${bits}`);
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) return bad(`an ${family === 'ipv4' ? 'IPv4' : 'IPv6'} prefix is at most /${bits}`);
  if (prefix < shortestPrefix)
    return bad(`/${prefix} is too broad: it grants a large part of the Internet`, `grant the ranges you need, /${shortestPrefix} or longer`);

  const address = ipaddr.parse(addressText);
  if (address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress()) {
    const v4 = `${address.toIPv4Address().toString()}${prefix < 128 ? `/${Math.max(prefix - 96, 0)}` : ''}`;
    return bad('an IPv4-mapped IPv6 address is an IPv4 address', `write ${v4} without brackets`);
  }
  const network = (family === 'ipv4' ? ipaddr.IPv4 : ipaddr.IPv6).networkAddressFromCIDR(`${addressText}/${prefix}`);
  const canonical = canonicalAddress(network);
  if (network.range() === 'unspecified') {
    return bad(
      'the unspecified address (0.0.0.0, ::) is no destination: connecting to it reaches the host itself',
      'grant 127.0.0.1 or [::1] if the host is what you mean',
    );
  }
  if (canonicalAddress(address) !== canonical)
    return bad(`${addressText}/${prefix} has bits set past the prefix`, `write ${bracketed(family, `${canonical}/${prefix}`)}`);
  return { kind: 'address', entry, family, network: canonical, prefix, ports };
}

function parseNameRule(
  entry: string,
  host: string,
  ports: PortRange,
  bad: (problem: string, hint?: string) => EntryProblem,
): NameRule | EntryProblem {
  if (host === '*') return bad('* would grant every host', 'name the hosts, e.g. api.example.com:443 or *.example.org:443');
  const subdomains = host.startsWith('*.');
  const base = subdomains ? host.slice(2) : host;
  if (base.includes('*')) return bad('a wildcard can only be the whole first label', 'write *.example.org:PORT');
  const name = normalizeHostName(base);
  if (name === undefined) {
    return /[^\x00-\x7f]/.test(host)
      ? bad(`'${host}' is not an ASCII host name`, 'write an internationalized name in its xn-- (punycode) form')
      : bad(`'${host}' is not a host name`, 'write labels of letters, digits, - and _, separated by dots, the last one not all digits');
  }
  if (subdomains) {
    const labels = name.split('.');
    if (labels.length < 2) return bad(`*.${name} would grant every name under a top-level domain`, `name a domain, e.g. *.example.${name}`);
    if (labels.length === 2 && publicSecondLevels.has(labels[0]!) && labels[1]!.length === 2) {
      return bad(`*.${name} would grant every name under the public suffix ${name}`, `name a domain, e.g. *.example.${name}`);
    }
  }
  return { kind: 'name', entry, name, subdomains, ports };
}

/**
 * A host name as matching compares it: lower case, without one trailing
 * dot; undefined when it is not a host name (so it can match no grant).
 */
export function normalizeHostName(text: string): string | undefined {
  const name = (text.endsWith('.') ? text.slice(0, -1) : text).toLowerCase();
  if (name.length === 0 || name.length > 253) return undefined;
  const labels = name.split('.');
  if (!labels.every((part) => label.test(part))) return undefined;
  // An all-digit last label makes a (legacy) IPv4 form such as 127.1, not a name.
  return /^[0-9]+$/.test(labels[labels.length - 1]!) ? undefined : name;
}

/** An address (or `ADDRESS/PREFIX`) as the host part of `HOST:PORT`: IPv6 in brackets. */
export function bracketed(family: 'ipv4' | 'ipv6', host: string): string {
  return family === 'ipv6' ? `[${host}]` : host;
}

/** The canonical text of an address: dotted decimal, or RFC 5952 for IPv6. */
export function canonicalAddress(address: ipaddr.IPv4 | ipaddr.IPv6): string {
  return address instanceof ipaddr.IPv6 ? address.toRFC5952String() : address.toString();
}
