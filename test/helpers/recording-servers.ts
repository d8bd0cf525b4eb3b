import { startServerWorker } from './server-worker.js';
import { testAuthority } from './test-authority.js';

/** One request a recording server got: what reached the far side of goodbot. */
export interface RecordedRequest {
  readonly server: 'http' | 'https';
  readonly method: string;
  /** Path and query as received. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/**
 * HTTP and HTTPS servers on 127.0.0.1 (HTTPS with the tests' authority's
 * certificate) that record every request and answer `ok` without echoing
 * anything, or, for `/redirect?to=URL`, a 302 to URL. On a worker thread of
 * their own: a guest on the test's thread blocks it while it waits.
 */
export interface RecordingServers {
  readonly http: number;
  readonly https: number;
  /** Every request so far, in order. */
  requests(): Promise<RecordedRequest[]>;
  close(): Promise<void>;
}

const serverScript = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const https = require('node:https');
const requests = [];
const handler = (server) => (req, res) => {
  req.resume();
  req.on('end', () => {
    requests.push({ server, method: req.method, url: req.url, headers: req.headers });
    if (req.url.startsWith('/redirect?to=')) {
      res.writeHead(302, { location: decodeURIComponent(req.url.slice('/redirect?to='.length)) });
      return res.end();
    }
    res.end('ok');
  });
};
const plain = http.createServer(handler('http'));
const secure = https.createServer({ key: workerData.key, cert: workerData.cert }, handler('https'));
secure.on('tlsClientError', () => {});
const listen = (server) => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
(async () => parentPort.postMessage({ http: await listen(plain), https: await listen(secure) }))();
parentPort.on('message', () => parentPort.postMessage(requests));
`;

export async function startRecordingServers(): Promise<RecordingServers> {
  const authority = testAuthority();
  const servers = await startServerWorker<{ http: number; https: number }, RecordedRequest[]>(serverScript, {
    key: authority.serverKey,
    cert: authority.serverCertificate,
  });
  return { ...servers.ports, requests: servers.report, close: servers.close };
}
