import ipaddr from 'ipaddr.js';
import { lookup } from 'node:dns/promises';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { request as secureRequest } from 'node:https';
import { connect, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import type { Authority } from '../../policy/authority.js';
import { parseHostPort, type HostPort } from '../../policy/host-port.js';
import type { RunSecrets } from '../../policy/secrets.js';
import type { NetworkGate } from '../../wasi/common/network-gate.js';
import { RunCertificateAuthority } from './run-certificates.js';

/** Where the proxy listens and whom it serves. */
export interface EgressProxyOptions {
  /** The run's network capability: every request is decided and recorded there, as for a WebAssembly run. */
  readonly gate: NetworkGate;
  /** The gate's authority, for the reason a refusal gives the client. */
  readonly authority: Authority;
  /**
   * Where to listen: the internal network's gateway (the host's side of
   * it) and the network's subnet (CIDR: a connection from anywhere else is
   * closed unanswered); or a Unix socket that only the run can reach.
   */
  readonly listen: { readonly address: string; readonly clientSubnet: string } | { readonly socketPath: string };
  /** All addresses of NAME; the system resolver by default. */
  readonly resolve?: (name: string) => Promise<string[]>;
  /**
   * The run's secrets: the gate puts their values into requests to their
   * hosts, plain HTTP as it passes, and HTTPS (CONNECT to such a host) by
   * opening its TLS with a certificate of the run's own authority.
   */
  readonly secrets?: RunSecrets;
  /** How long the run's certificates are valid (its timeout and a margin); default a day. */
  readonly certificatesValidForMs?: number;
}

/** Where a request in an opened tunnel goes: the CONNECT's host and the address the gate chose for it. */
interface TunnelDestination {
  readonly host: HostPort;
  readonly address: string;
}

/** Headers that belong to one hop, never forwarded. */
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-authorization', 'proxy-authenticate', 'proxy-connection', 'te', 'trailer', 'upgrade']);

async function resolveAll(name: string): Promise<string[]> {
  return (await lookup(name, { all: true, verbatim: true })).map((entry) => entry.address);
}

/**
 * The only way out of a container with network grants: an HTTP proxy on the
 * host, for one run. It forwards plain HTTP requests (absolute URLs) and
 * tunnels CONNECT (HTTPS and any TCP). Each request's host is looked up here
 * (a name only if some grant could match it), each address is checked by the
 * run's {@link NetworkGate} (protocol `http` or `tcp`, with the name), and the
 * proxy connects to exactly the address that was checked, so DNS rebinding
 * cannot slip a private address past a name grant. A refusal answers 403 and
 * is a denial of the run. No redirect is followed (the client sees it, and
 * its next request is decided anew).
 *
 * With secrets, every plain HTTP request's head goes through the gate,
 * which puts in the values of the secrets for its host (and records each
 * placeholder it leaves, for other hosts); a CONNECT to a secret's host is
 * answered by the proxy itself: it opens the client's TLS with a
 * certificate of the run's {@link RunCertificateAuthority} (which only the
 * run's sandbox trusts), sends each request inside on to the host as a
 * client that checks the host's real certificate, and streams the answer
 * back. Other tunnels stay opaque.
 */
export class EgressProxy {
  private readonly sockets = new Set<Duplex>();
  private closed = false;
  private readonly resolve: (name: string) => Promise<string[]>;
  private readonly subnet: [ipaddr.IPv4 | ipaddr.IPv6, number] | undefined;
  /** The run's own authority, when it has secrets: its certificate is for the sandbox's trust store. */
  readonly certificateAuthority: RunCertificateAuthority | undefined;
  /** Parses the requests inside tunnels the proxy opened; it listens on nothing. */
  private readonly opened = createServer();
  private readonly destinations = new WeakMap<object, TunnelDestination>();

  private constructor(
    private readonly server: Server,
    private readonly options: EgressProxyOptions,
    /** `http://ADDRESS:PORT`, for the container's proxy variables. */
    readonly url: string,
    readonly port: number,
  ) {
    this.resolve = options.resolve ?? resolveAll;
    this.subnet = 'clientSubnet' in options.listen ? ipaddr.parseCIDR(options.listen.clientSubnet) : undefined;
    const secrets = options.secrets;
    this.certificateAuthority =
      secrets?.any === true
        ? new RunCertificateAuthority({ hosts: secrets.hosts, validForMs: options.certificatesValidForMs ?? 86_400_000 })
        : undefined;
    this.opened.on('request', (req: IncomingMessage, res: ServerResponse) => this.relay(req, res));
  }

  /** Starts a proxy on OPTIONS.listen (an address: on a port the system picks; its URL then names it). */
  static async start(options: EgressProxyOptions): Promise<EgressProxy> {
    const server = createServer();
    const { listen } = options;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      if ('socketPath' in listen) server.listen({ path: listen.socketPath, exclusive: true }, () => resolve());
      else server.listen({ host: listen.address, port: 0, exclusive: true }, () => resolve());
    });
    let url = `unix:${'socketPath' in listen ? listen.socketPath : ''}`;
    let port = 0;
    if ('address' in listen) {
      port = (server.address() as { port: number }).port;
      url = `http://${listen.address.includes(':') ? `[${listen.address}]` : listen.address}:${port}`;
    }
    const proxy = new EgressProxy(server, options, url, port);
    server.on('connection', (socket: Socket) => proxy.admit(socket));
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void proxy.forward(req, res));
    server.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => void proxy.tunnel(req, socket, head));
    return proxy;
  }

  /** Stops listening and closes every connection, to clients and to destinations. */
  async close(): Promise<void> {
    this.closed = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
  }

  /** How many connections are open (clients and destinations). */
  get openConnections(): number {
    return this.sockets.size;
  }

  /** Keeps SOCKET to close with the run; one opened after the run ended (a lookup was under way) is closed at once. */
  private track(socket: Duplex): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  }

  /** Serves only clients on the run's network (on a Unix socket: whoever reached it, which only the run can). */
  private admit(socket: Socket): void {
    const subnet = this.subnet;
    const from = socket.remoteAddress === undefined ? undefined : ipaddr.process(socket.remoteAddress);
    if (subnet !== undefined && (from === undefined || from.kind() !== subnet[0].kind() || !from.match(subnet))) {
      socket.destroy();
      return;
    }
    this.track(socket);
  }

  /**
   * The address to use for HOST, decided and recorded by the gate, or the
   * reason there is none (a refusal, or a failed lookup).
   */
  private async choose(host: HostPort, protocol: 'http' | 'tcp', target: string): Promise<{ address: string } | { status: number; reason: string }> {
    let addresses = [host.name];
    if (!host.literal) {
      if (!this.options.gate.mayLookUpFor(host.name, protocol === 'http' ? 'http-request' : 'tcp-connect', target)) return this.refused();
      try {
        addresses = await this.resolve(host.name);
      } catch (error) {
        return { status: 502, reason: `lookup of ${host.name} failed: ${(error as Error).message}` };
      }
      // The run ended during the lookup: nothing more is decided or recorded for it.
      if (this.closed) return { status: 503, reason: 'the run has ended' };
    }
    const address = this.options.gate.chooseAddress(host.literal ? undefined : host.name, addresses, host.port, protocol);
    return address === undefined ? this.refused() : { address };
  }

  /** A request that cannot go out as it is: recorded like any refusal, answered 400. */
  private refuse(fail: (status: number, reason: string) => void, operation: string, target: string, why: string): void {
    this.options.gate.deny(operation, target, why, '400');
    fail(400, `goodbot egress proxy: ${why}`);
  }

  private refused(): { status: number; reason: string } {
    return { status: 403, reason: `denied by the sandbox policy: ${this.options.authority.denials.at(-1)?.detail ?? 'not granted'}` };
  }

  /** A plain HTTP request with an absolute URL. */
  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const fail = (status: number, reason: string) => {
      res.writeHead(status, { 'content-type': 'text/plain', connection: 'close' }).end(`${reason}\n`);
    };
    const url = URL.canParse(req.url ?? '') ? new URL(req.url!) : undefined;
    if (url === undefined || url.protocol !== 'http:') {
      return this.refuse(fail, 'http-request', withoutUserInfo(req.url ?? ''), 'only absolute http:// URLs, or CONNECT for anything else');
    }
    const host = parseHostPort(url.host, 80);
    if (host === undefined || url.username !== '' || url.password !== '') {
      return this.refuse(
        fail,
        'http-request',
        `http://${url.host}${url.pathname}`,
        `'${url.host}' is not a host${url.username !== '' ? ' (a URL with user info)' : ''}`,
      );
    }
    const chosen = await this.choose(host, 'http', `http://${url.host}${url.pathname}`);
    if (!('address' in chosen)) return fail(chosen.status, chosen.reason);
    this.send(req, res, fail, { host, address: chosen.address }, { tls: false, authority: url.host, path: `${url.pathname}${url.search}` });
  }

  /**
   * Sends REQ on to TO (HTTPS when TLS, checking the host's certificate as
   * any client would) with the Host header AUTHORITY, as the URL or the
   * CONNECT named it (the client cannot name another virtual host at a
   * granted address), and the head as the gate rewrote it; streams the
   * answer to RES. One connection per request, closed after it.
   */
  private send(
    req: IncomingMessage,
    res: ServerResponse,
    fail: (status: number, reason: string) => void,
    to: TunnelDestination,
    target: { readonly tls: boolean; readonly authority: string; readonly path: string },
  ): void {
    const headers: [string, string][] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i]!.toLowerCase();
      if (!hopByHop.has(name) && name !== 'host') headers.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
    }
    const head = this.options.gate.requestHead(to.host, { path: target.path, headers });
    const upstream = (target.tls ? secureRequest : request)({
      host: to.address,
      port: to.host.port,
      ...(target.tls && !to.host.literal && { servername: to.host.name }),
      method: req.method,
      path: head.path,
      headers: [['host', target.authority], ...head.headers, ['connection', 'close']].flat(),
      setHost: false,
      agent: false,
    });
    upstream.on('socket', (socket) => this.track(socket));
    upstream.on('error', (error) => {
      if (res.headersSent) res.destroy();
      else fail(502, `goodbot egress proxy: ${to.host.name}:${to.host.port}: ${error.message}`);
    });
    upstream.on('response', (answer) => {
      const forwarded: string[] = [];
      for (let i = 0; i < answer.rawHeaders.length; i += 2) {
        if (!hopByHop.has(answer.rawHeaders[i]!.toLowerCase())) forwarded.push(answer.rawHeaders[i]!, answer.rawHeaders[i + 1]!);
      }
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, forwarded);
      answer.pipe(res);
    });
    req.pipe(upstream);
  }

  /** A CONNECT tunnel to `HOST:PORT`. */
  private async tunnel(req: IncomingMessage, client: Duplex, head: Buffer): Promise<void> {
    const fail = (status: number, reason: string) => {
      client.end(
        `HTTP/1.1 ${status} ${status === 403 ? 'Forbidden' : status === 502 ? 'Bad Gateway' : 'Bad Request'}\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${reason}\n`,
      );
    };
    const host = parseHostPort(req.url ?? '');
    if (host === undefined)
      return this.refuse(fail, 'tcp-connect', withoutUserInfo(req.url ?? ''), `CONNECT needs HOST:PORT, not '${withoutUserInfo(req.url ?? '')}'`);
    const chosen = await this.choose(host, 'tcp', req.url!);
    if (!('address' in chosen)) return fail(chosen.status, chosen.reason);
    if (client.destroyed) return;
    if (this.certificateAuthority !== undefined && this.options.secrets!.isFor(host))
      return this.open(client, head, { host, address: chosen.address });
    const upstream = connect({ host: chosen.address, port: host.port });
    this.track(upstream);
    upstream.once('error', (error) => fail(502, `goodbot egress proxy: ${req.url}: ${error.message}`));
    upstream.once('connect', () => {
      upstream.removeAllListeners('error');
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
  }

  /**
   * Answers a CONNECT to a secret's host itself: the client's TLS ends here,
   * with the run's certificate for the host, and each request inside goes
   * to {@link relay}. A client that speaks anything but TLS in it fails its
   * handshake.
   */
  private open(client: Duplex, head: Buffer, to: TunnelDestination): void {
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    const secure = new TLSSocket(withHead(client, head), {
      isServer: true,
      secureContext: this.certificateAuthority!.contextFor(to.host),
      ALPNProtocols: ['http/1.1'],
    });
    this.track(secure);
    this.destinations.set(secure, to);
    this.opened.emit('connection', secure);
  }

  /** A request inside an opened tunnel: on to the tunnel's host over HTTPS, its head rewritten by the gate. */
  private relay(req: IncomingMessage, res: ServerResponse): void {
    const to = this.destinations.get(req.socket);
    const fail = (status: number, reason: string) => {
      res.writeHead(status, { 'content-type': 'text/plain', connection: 'close' }).end(`${reason}\n`);
    };
    if (to === undefined) return void res.destroy();
    const path = req.url ?? '';
    const shown = to.host.literal && to.host.name.includes(':') ? `[${to.host.name}]` : to.host.name;
    const authority = to.host.port === 443 ? shown : `${shown}:${to.host.port}`;
    if (!path.startsWith('/')) {
      return this.refuse(fail, 'http-request', `https://${authority}`, 'a request in a tunnel names its path (origin form), not a URL');
    }
    this.send(req, res, fail, to, { tls: true, authority, path });
  }
}

/**
 * SOCKET as a stream that first gives HEAD (bytes the client sent with its
 * CONNECT, already read by the HTTP parser); SOCKET itself when there are none.
 */
function withHead(socket: Duplex, head: Buffer): Duplex {
  if (head.length === 0) return socket;
  const stream = new Duplex({
    read: () => void socket.resume(),
    write: (chunk: Buffer, _encoding, done) => void socket.write(chunk, done),
    final: (done) => {
      socket.end();
      done();
    },
    destroy: (error, done) => {
      socket.destroy();
      done(error);
    },
  });
  stream.push(head);
  socket.on('data', (chunk: Buffer) => {
    if (!stream.push(chunk)) socket.pause();
  });
  socket.on('end', () => stream.push(null));
  socket.on('close', () => stream.destroy());
  return stream;
}

/** TEXT with any `user:password@` of a URL left out, so no credential reaches the audit log. */
function withoutUserInfo(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
}
