import ipaddr from 'ipaddr.js';
import { bracketed, canonicalAddress, normalizeHostName, type AddressRule, type NameRule, type NetworkRule } from './network-grant.js';
import type { NetworkGrant } from './types.js';

/**
 * Network decisions as pure functions of the grant; the `Authority` records
 * them. Deny by default: a destination passes only through a rule naming its
 * port, and a granted name passes only to a public address (DNS rebinding
 * protection, as Deno does) unless an address rule grants the address itself.
 */

/** An outgoing connection, datagram or HTTP request, after the host resolved the name. */
export interface ConnectRequest {
  readonly protocol: 'tcp' | 'udp' | 'http';
  /** The host name the guest asked for; absent when it gave an address. */
  readonly name?: string;
  /** The address that will actually be used, as text (dotted decimal or IPv6). */
  readonly address: string;
  readonly port: number;
}

/** A local address the guest wants to accept connections or datagrams on. */
export interface ListenRequest {
  readonly protocol: 'tcp' | 'udp';
  readonly address: string;
  readonly port: number;
}

export type Decision = { readonly allowed: true; readonly rule: NetworkRule } | { readonly allowed: false; readonly why: string };

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** Global unicast IPv6: the only IPv6 block that reaches the public Internet. */
const globalUnicast6 = ipaddr.parseCIDR('2000::/3');

/**
 * Parses an address as matching sees it: strict forms only (no `127.1` or
 * octal), and an IPv4-mapped IPv6 address is the IPv4 address it maps to, so
 * `::ffff:127.0.0.1` is 127.0.0.1 to every rule and check.
 */
export function parseAddress(text: string): Address | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (!ipaddr.IPv6.isValid(text)) return undefined;
  const address = ipaddr.IPv6.parse(text);
  return address.isIPv4MappedAddress() ? address.toIPv4Address() : address;
}

/**
 * Is ADDRESS on the public Internet? Not loopback, private, link-local,
 * unique-local, unspecified, multicast, carrier-grade NAT, documentation or
 * other special ranges (ipaddr.js's classification), and for IPv6 only
 * global unicast, without 6to4, Teredo or NAT64 forms that embed an IPv4
 * address.
 */
export function isPublicAddress(address: Address): boolean {
  if (address.range() !== 'unicast') return false;
  return address instanceof ipaddr.IPv4 || address.match(globalUnicast6);
}

function unbracketed(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function portGranted(rule: NetworkRule, port: number): boolean {
  return port >= rule.ports.from && port <= rule.ports.to;
}

function addressCovered(rule: AddressRule, address: Address): boolean {
  return address.kind() === rule.family && address.match(ipaddr.parse(rule.network), rule.prefix);
}

function nameCovered(rule: NameRule, name: string): boolean {
  return rule.subdomains ? name.endsWith(`.${rule.name}`) : name === rule.name;
}

/** The canonical text of an address (an IPv4-mapped one as IPv4); TEXT itself when it does not parse. */
export function canonicalText(text: string): string {
  const parsed = parseAddress(text);
  return parsed === undefined ? text : canonicalAddress(parsed);
}

/** An address as records show it: canonical, IPv6 in brackets (as given when it does not parse). */
function shownAddress(text: string): string {
  const parsed = parseAddress(text);
  return parsed === undefined ? text : bracketed(parsed.kind(), canonicalAddress(parsed));
}

/** `address:port`, for records. */
export function addressTarget(text: string, port: number): string {
  return `${shownAddress(text)}:${port}`;
}

/** `name:port (address)` or `address:port`, for records. */
export function connectTarget(request: ConnectRequest): string {
  return request.name === undefined
    ? addressTarget(request.address, request.port)
    : `${request.name}:${request.port} (${shownAddress(request.address)})`;
}

/** May the guest reach REQUEST's address and port? */
export function decideConnect(grant: NetworkGrant, request: ConnectRequest): Decision {
  const deny = (why: string): Decision => ({ allowed: false, why });
  const { port } = request;
  if (!Number.isInteger(port) || port < 1 || port > 65535) return deny(`${port} is not a port`);
  const address = parseAddress(request.address);
  if (address === undefined) return deny(`'${request.address}' is not an IP address`);
  const shown = canonicalAddress(address);

  // A URL host may be an address literal: then only the address decides.
  const literal = request.name === undefined ? undefined : parseAddress(unbracketed(request.name));
  if (literal !== undefined && literal.toNormalizedString() !== address.toNormalizedString()) {
    return deny(`the name '${request.name}' is an address other than ${shown}`);
  }
  const name = request.name === undefined || literal !== undefined ? undefined : normalizeHostName(request.name);
  if (request.name !== undefined && literal === undefined && name === undefined) return deny(`'${request.name}' is not a host name`);

  const byAddress = grant.allow.find((rule) => rule.kind === 'address' && addressCovered(rule, address) && portGranted(rule, port));
  if (byAddress) return { allowed: true, rule: byAddress };
  if (name === undefined) return deny(`no network.allow entry grants ${bracketed(address.kind(), shown)}:${port}`);

  const named = grant.allow.filter((rule): rule is NameRule => rule.kind === 'name' && nameCovered(rule, name));
  const byName = named.find((rule) => portGranted(rule, port));
  if (byName === undefined) {
    return deny(
      named.length > 0
        ? `port ${port} is not granted for ${name} (${named.map((rule) => rule.entry).join(', ')})`
        : `no network.allow entry grants ${name}`,
    );
  }
  if (!isPublicAddress(address)) {
    const range = address.range() === 'unicast' ? 'not global unicast' : address.range();
    return deny(`${name} resolved to ${shown} (${range}), which only an address entry such as ${bracketed(address.kind(), shown)}:${port} can grant`);
  }
  return { allowed: true, rule: byName };
}

/**
 * May the guest look up NAME? Only names some rule could match (any port);
 * an address literal only if an address rule covers it.
 */
export function decideResolve(grant: NetworkGrant, name: string): Decision {
  const literal = parseAddress(unbracketed(name));
  const normalized = literal === undefined ? normalizeHostName(name) : undefined;
  const rule = grant.allow.find((candidate) =>
    candidate.kind === 'address'
      ? literal !== undefined && addressCovered(candidate, literal)
      : normalized !== undefined && nameCovered(candidate, normalized),
  );
  if (rule) return { allowed: true, rule };
  return {
    allowed: false,
    why: literal === undefined && normalized === undefined ? `'${name}' is not a host name` : `no network.allow entry grants ${name}`,
  };
}

/** Listening is never granted: the grammar has no entry for it yet. */
export function decideListen(request: ListenRequest): Decision {
  return { allowed: false, why: `listening (${request.protocol} on port ${request.port}) is never granted` };
}

/**
 * The `network.allow` rule that could grant HOST:PORT (a name, or an
 * address when LITERAL), whatever a name resolves to; undefined when none
 * could: a secret for such a host could never be sent.
 */
export function ruleFor(grant: NetworkGrant, host: { name: string; port: number; literal: boolean }): NetworkRule | undefined {
  const address = host.literal ? parseAddress(host.name) : undefined;
  return grant.allow.find(
    (rule) =>
      portGranted(rule, host.port) &&
      (rule.kind === 'address' ? address !== undefined && addressCovered(rule, address) : !host.literal && nameCovered(rule, host.name)),
  );
}
