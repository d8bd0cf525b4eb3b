import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EgressProxy } from '../../../src/node/docker/egress-proxy.js';
import { Authority } from '../../../src/policy/authority.js';
import { compileSandboxConfig } from '../../../src/policy/compile.js';
import { RunSecrets } from '../../../src/policy/secrets.js';
import { parseNetworkAllow } from '../../../src/policy/network-grant.js';
import { NetworkGate } from '../../../src/wasi/common/network-gate.js';
import { startLoopbackServers, type LoopbackServers } from '../../helpers/loopback-servers.js';
import { startRecordingServers } from '../../helpers/recording-servers.js';

/** The egress proxy on its own, on loopback: who it serves, what it resolves, what it closes. */
let servers: LoopbackServers;
beforeAll(async () => {
  servers = await startLoopbackServers();
});
afterAll(async () => {
  await servers.close();
});

async function proxyFor(entries: string[], clientSubnet: string, resolve?: (name: string) => Promise<string[]>) {
  const authority = new Authority();
  const grant = {
    allow: parseNetworkAllow(entries, () => {
      throw new Error('bad entry');
    }),
  };
  const gate = new NetworkGate(grant, authority, undefined);
  const proxy = await EgressProxy.start({
    gate,
    authority,
    listen: { address: '127.0.0.1', clientSubnet },
    ...(resolve !== undefined && { resolve }),
  });
  return { proxy, authority };
}

/** Sends a CONNECT for TARGET; resolves with the proxy's answer (its first bytes) and the open socket. */
function connectThrough(proxy: EgressProxy, target: string): Promise<{ answer: string; socket: Socket }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: proxy.port }, () => socket.write(`CONNECT ${target} HTTP/1.1\r\nhost: ${target}\r\n\r\n`));
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk;
      if (answer.includes('\r\n\r\n')) resolve({ answer, socket });
    });
    socket.on('close', () => resolve({ answer, socket }));
    socket.on('error', () => {});
  });
}

/** Sends RAW to the proxy; resolves with everything it answers. */
function rawRequest(proxy: EgressProxy, raw: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: proxy.port }, () => socket.write(raw));
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk));
    socket.on('close', () => resolve(answer));
    socket.on('error', () => resolve(answer));
  });
}

describe('the egress proxy', () => {
  it('attack: a client from outside the run network gets no answer at all', async () => {
    const { proxy, authority } = await proxyFor([`127.0.0.1:${servers.http}`], '10.99.0.0/16');
    try {
      const { answer } = await connectThrough(proxy, `127.0.0.1:${servers.http}`);
      expect(answer).toBe('');
      expect(authority.denials).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it('attack: DNS rebinding: a granted name that resolves to loopback is refused, and looked up once', async () => {
    const lookedUp: string[] = [];
    const { proxy, authority } = await proxyFor([`rebind.example:${servers.http}`], '127.0.0.0/8', async (name) => {
      lookedUp.push(name);
      return ['127.0.0.1'];
    });
    try {
      const { answer } = await connectThrough(proxy, `rebind.example:${servers.http}`);
      expect(answer).toMatch(/^HTTP\/1\.1 403 /);
      expect(answer).toContain('loopback');
      expect(lookedUp).toEqual(['rebind.example']);
      expect(authority.denials).toMatchObject([{ operation: 'tcp-connect', target: `rebind.example:${servers.http} (127.0.0.1)` }]);
    } finally {
      await proxy.close();
    }
  });

  it('closes its listener and every tunnel when the run ends', async () => {
    const { proxy } = await proxyFor([`127.0.0.1:${servers.silent}`], '127.0.0.0/8');
    const { answer, socket } = await connectThrough(proxy, `127.0.0.1:${servers.silent}`);
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(proxy.openConnections).toBe(2);
    const closed = new Promise((resolve) => socket.on('close', resolve));
    await proxy.close();
    await closed;
    expect(proxy.openConnections).toBe(0);
    const reconnect = await new Promise<string>((resolve) =>
      connect({ host: '127.0.0.1', port: proxy.port })
        .on('connect', () => resolve('connected'))
        .on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? '')),
    );
    expect(reconnect).toBe('ECONNREFUSED');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const seen = await servers.seen();
    expect(seen.silent.closed).toBe(seen.silent.opened);
  });

  it('attack: a forged Host header does not reach a granted address (the URL names the host)', async () => {
    const { proxy } = await proxyFor([`127.0.0.1:${servers.http}`], '127.0.0.0/8');
    try {
      const answer = await new Promise<string>((resolve) => {
        const socket = connect({ host: '127.0.0.1', port: proxy.port }, () =>
          socket.write(`GET http://127.0.0.1:${servers.http}/vhost HTTP/1.1\r\nhost: internal.admin\r\nconnection: close\r\n\r\n`),
        );
        let text = '';
        socket.on('data', (chunk) => (text += chunk)).on('close', () => resolve(text));
      });
      expect(answer).toMatch(/^HTTP\/1\.1 200 /);
      expect(answer).toContain(`GET /vhost host=127.0.0.1:${servers.http}`);
    } finally {
      await proxy.close();
    }
  });

  it('answers a request that is not a proxy request with 400, and records the refusal', async () => {
    const { proxy, authority } = await proxyFor([`127.0.0.1:${servers.http}`], '127.0.0.0/8');
    try {
      const response = await fetch(`http://127.0.0.1:${proxy.port}/direct`);
      expect(response.status).toBe(400);
      expect(authority.denials).toMatchObject([{ operation: 'http-request', target: '/direct', reason: 'network-denied', error: '400' }]);
    } finally {
      await proxy.close();
    }
  });

  it('attack: a URL with user info to a granted host is refused and recorded, without the password', async () => {
    const { proxy, authority } = await proxyFor([`127.0.0.1:${servers.http}`], '127.0.0.0/8');
    try {
      const answer = await rawRequest(proxy, `GET http://user:hunter2@127.0.0.1:${servers.http}/x HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n`);
      expect(answer).toMatch(/^HTTP\/1\.1 400/);
      const bad = await connectThrough(proxy, 'no-port-here');
      bad.socket.destroy();
      expect(bad.answer).toMatch(/^HTTP\/1\.1 400/);
      expect(authority.denials.map((d) => d.operation)).toEqual(['http-request', 'tcp-connect']);
      expect(JSON.stringify(authority.denials)).not.toContain('hunter2');
    } finally {
      await proxy.close();
    }
  });
});

describe('the egress proxy with secrets', () => {
  it("opens the TLS of a client that sends its hello together with the CONNECT, and puts the secret's value in", async () => {
    const recording = await startRecordingServers();
    const target = `127.0.0.1:${recording.https}`;
    const policy = compileSandboxConfig(
      { network: { allow: [target] }, secrets: [{ name: 'API_TOKEN', from: 'env:T', hosts: [target] }] },
      { file: '<test>', baseDir: '/' },
    );
    const secrets = RunSecrets.resolve(policy.secrets, () => 'early-value', '0123456789abcdef0123456789abcdef');
    const authority = new Authority();
    const gate = new NetworkGate(policy.network, authority, undefined, undefined, undefined, secrets);
    const proxy = await EgressProxy.start({ gate, authority, secrets, listen: { address: '127.0.0.1', clientSubnet: '127.0.0.0/8' } });
    try {
      const raw = connect({ host: '127.0.0.1', port: proxy.port });
      await once(raw, 'connect');
      // Between the TLS client and the proxy: its first bytes go out with the CONNECT; the proxy's answer is taken off what comes back.
      let first = true;
      let answer = Buffer.alloc(0);
      const link = new Duplex({
        write(chunk: Buffer, _encoding, done) {
          raw.write(first ? Buffer.concat([Buffer.from(`CONNECT ${target} HTTP/1.1\r\n\r\n`), chunk]) : chunk, done);
          first = false;
        },
        read() {},
      });
      raw.on('data', (chunk: Buffer) => {
        if (answer === undefined) return void link.push(chunk);
        answer = Buffer.concat([answer, chunk]);
        const end = answer.indexOf('\r\n\r\n');
        if (end < 0) return;
        expect(answer.subarray(0, end).toString()).toBe('HTTP/1.1 200 Connection Established');
        const rest = answer.subarray(end + 4);
        (answer as Buffer | undefined) = undefined;
        if (rest.length > 0) link.push(rest);
      });
      raw.on('end', () => link.push(null));
      const secure = tlsConnect({ socket: link, host: '127.0.0.1', ca: [proxy.certificateAuthority!.certificate] });
      await once(secure, 'secureConnect');
      secure.end(`GET /early HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${secrets.environment[0]![1]}\r\nconnection: close\r\n\r\n`);
      let response = '';
      for await (const chunk of secure) response += String(chunk);
      expect(response).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok$/);
      const seen = (await recording.requests()).find((request) => request.url === '/early');
      expect(seen!.headers).toMatchObject({ authorization: 'Bearer early-value', host: target });
    } finally {
      await proxy.close();
      await recording.close();
    }
  });
});
