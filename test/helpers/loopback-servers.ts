import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServerWorker } from './server-worker.js';
import { removeTree, tempDir } from './guests.js';

/**
 * Servers on 127.0.0.1 for the network tests. They run on a worker thread of
 * their own: a guest on the test's thread blocks it while it waits for the
 * network, so servers on that thread could never answer.
 */
export interface LoopbackServers {
  /** HTTP: answers `METHOD PATH host=HOST` (and the body it got); `/redirect?to=URL` sends a 302 to URL. */
  readonly http: number;
  /** TCP: once the client finished sending, answers `echo:` and what it sent, and closes. */
  readonly echo: number;
  /** TCP: accepts and reads, never answers, closes only when the client does. */
  readonly silent: number;
  /** UDP: answers each datagram with `re:` and its text. */
  readonly udp: number;
  /** HTTPS with a self-signed certificate for `localhost`, which nobody trusts: every handshake fails. */
  readonly https: number;
  /** A port nothing listens on. */
  readonly unused: number;
  /** What the servers saw so far: connections to the silent one, TLS server names (SNI) sent to the HTTPS one. */
  seen(): Promise<{ silent: { opened: number; closed: number }; serverNames: string[] }>;
  close(): Promise<void>;
}

const serverScript = `
const { parentPort } = require('node:worker_threads');
const http = require('node:http');
const net = require('node:net');
const dgram = require('node:dgram');
const tls = require('node:tls');
const { workerData } = require('node:worker_threads');
const silentCount = { opened: 0, closed: 0 };
const serverNames = [];
const web = http.createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => (body += chunk));
  req.on('end', () => {
    if (req.url.startsWith('/redirect?to=')) {
      res.writeHead(302, { location: decodeURIComponent(req.url.slice('/redirect?to='.length)) });
      return res.end();
    }
    res.setHeader('x-served-by', 'loopback');
    res.end(req.method + ' ' + req.url + ' host=' + req.headers.host + (body ? ' body=' + body : ''));
  });
});
const echo = net.createServer({ allowHalfOpen: true }, (socket) => {
  let got = '';
  socket.on('data', (chunk) => (got += chunk));
  socket.on('end', () => socket.end('echo:' + got));
  socket.on('error', () => {});
});
const silent = net.createServer((socket) => {
  silentCount.opened++;
  socket.resume();
  socket.on('close', () => silentCount.closed++);
  socket.on('error', () => {});
});
const secure = tls.createServer({ key: workerData.key, cert: workerData.cert, SNICallback: (name, done) => { serverNames.push(name); done(null); } }, (socket) => socket.end());
secure.on('tlsClientError', () => {});
const udp = dgram.createSocket('udp4');
udp.on('message', (message, from) => udp.send('re:' + message, from.port, from.address));
const listen = (server) => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
(async () => {
  const unusedServer = net.createServer();
  const unused = await listen(unusedServer);
  await new Promise((resolve) => unusedServer.close(resolve));
  const ports = { http: await listen(web), echo: await listen(echo), silent: await listen(silent), https: await listen(secure), unused };
  ports.udp = await new Promise((resolve) => udp.bind(0, '127.0.0.1', () => resolve(udp.address().port)));
  parentPort.postMessage(ports);
})();
parentPort.on('message', () => parentPort.postMessage({ silent: { ...silentCount }, serverNames }));
`;

/** A throwaway self-signed certificate for `localhost` (Debian's openssl, which ca-certificates depends on). */
function selfSignedCertificate(): { key: string; cert: string } {
  const dir = tempDir('goodbot-tls-');
  try {
    const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
  } finally {
    removeTree(dir);
  }
}

export async function startLoopbackServers(): Promise<LoopbackServers> {
  const servers = await startServerWorker<
    Record<'http' | 'echo' | 'silent' | 'https' | 'udp' | 'unused', number>,
    Awaited<ReturnType<LoopbackServers['seen']>>
  >(serverScript, selfSignedCertificate());
  return { ...servers.ports, seen: servers.report, close: servers.close };
}
