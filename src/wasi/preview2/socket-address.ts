import ipaddr from 'ipaddr.js';
import type { SocketAddress } from '../common/network-protocol.js';

/** `wasi:sockets/network` `ip-address-family`. */
export type Family = 'ipv4' | 'ipv6';

type Ipv4 = [number, number, number, number];
type Ipv6 = [number, number, number, number, number, number, number, number];

/** `wasi:sockets/network` `ip-address`, as the glue passes it. */
export type IpAddress = { tag: 'ipv4'; val: Ipv4 } | { tag: 'ipv6'; val: Ipv6 };

/** `wasi:sockets/network` `ip-socket-address`, as the glue passes it. */
export type IpSocketAddress =
  | { tag: 'ipv4'; val: { port: number; address: Ipv4 } }
  | { tag: 'ipv6'; val: { port: number; flowInfo: number; address: Ipv6; scopeId: number } };

/** A socket address of the guest as text; its family is the tag's. */
export function fromIpSocketAddress(address: IpSocketAddress): SocketAddress & { readonly family: Family } {
  const ip = address.tag === 'ipv4' ? new ipaddr.IPv4(address.val.address) : new ipaddr.IPv6(address.val.address);
  return { family: address.tag, address: textOf(ip), port: address.val.port };
}

/** An address (text, as the host reports it) as the guest sees it. */
export function toIpAddress(text: string): IpAddress {
  const ip = ipaddr.parse(text);
  return ip instanceof ipaddr.IPv4 ? { tag: 'ipv4', val: ip.octets as Ipv4 } : { tag: 'ipv6', val: ip.parts as Ipv6 };
}

/** A socket address (text and port) as the guest sees it. */
export function toIpSocketAddress({ address, port }: SocketAddress): IpSocketAddress {
  const ip = toIpAddress(address);
  return ip.tag === 'ipv4'
    ? { tag: 'ipv4', val: { port, address: ip.val } }
    : { tag: 'ipv6', val: { port, flowInfo: 0, address: ip.val, scopeId: 0 } };
}

/** The family an address text belongs to, or undefined when it is not an address. */
export function familyOf(text: string): Family | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return 'ipv4';
  return ipaddr.IPv6.isValid(text) ? 'ipv6' : undefined;
}

/** Whether an address may be a connection's or datagram's destination: not unspecified, multicast or broadcast. */
export function isUnicastDestination(text: string): boolean {
  const range = ipaddr.parse(text).range();
  return range !== 'unspecified' && range !== 'multicast' && range !== 'broadcast';
}

/** The unspecified address of FAMILY: what an implicit bind binds to. */
export function unspecified(family: Family): string {
  return family === 'ipv4' ? '0.0.0.0' : '::';
}

function textOf(ip: ipaddr.IPv4 | ipaddr.IPv6): string {
  return ip instanceof ipaddr.IPv4 ? ip.toString() : ip.toRFC5952String();
}
