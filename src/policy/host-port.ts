import ipaddr from 'ipaddr.js';
import { normalizeHostName } from './network-grant.js';

/** The host and port of a request's authority; `literal` when the host is an address. */
export interface HostPort {
  readonly name: string;
  readonly port: number;
  readonly literal: boolean;
}

/**
 * The host and port of an authority (`name`, `name:port`, `[v6]:port`), or
 * undefined when it is not one. Without DEFAULT_PORT the port is required
 * (an HTTP CONNECT target). A name comes back normalized; an IPv6 address
 * only counts in brackets, an IPv4 one only without.
 */
export function parseHostPort(authority: string, defaultPort?: number): HostPort | undefined {
  const match = /^(\[[^\]]*\]|[^:]*)(?::([0-9]{1,5}))?$/.exec(authority);
  if (match === null) return undefined;
  if (match[2] === undefined && defaultPort === undefined) return undefined;
  const port = match[2] === undefined ? defaultPort! : Number(match[2]);
  if (port < 1 || port > 65535) return undefined;
  const bracketed = match[1]!.startsWith('[');
  const text = bracketed ? match[1]!.slice(1, -1) : match[1]!;
  const family = ipaddr.IPv4.isValidFourPartDecimal(text) ? 'ipv4' : ipaddr.IPv6.isValid(text) ? 'ipv6' : undefined;
  if (family !== undefined && bracketed === (family === 'ipv6')) return { name: text, port, literal: true };
  const name = bracketed ? undefined : normalizeHostName(text);
  return name === undefined ? undefined : { name, port, literal: false };
}
