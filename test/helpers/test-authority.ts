import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The tests' own certificate authority (made by Debian's openssl, not by
 * the code under test) and a server certificate it signed for 127.0.0.1
 * and localhost. The global setup makes the test processes trust it the
 * way a user trusts a private authority, through NODE_EXTRA_CA_CERTS, so
 * goodbot's client side (the network broker, the egress proxy) can reach
 * the tests' HTTPS servers and checks their certificates as it would any.
 */
export interface TestAuthority {
  /** The authority's certificate (PEM) and its file. */
  readonly certificate: string;
  readonly certificateFile: string;
  /** The server's key and certificate (PEM). */
  readonly serverKey: string;
  readonly serverCertificate: string;
}

const dir = join(fileURLToPath(new URL('../..', import.meta.url)), '.cache', 'test-authority');

/** The authority, made once into the cache (idempotent; a half-made one is made again). */
export function testAuthority(): TestAuthority {
  const files = { certificate: join(dir, 'ca.pem'), serverKey: join(dir, 'server-key.pem'), serverCertificate: join(dir, 'server.pem') };
  if (!Object.values(files).every((file) => existsSync(file))) makeAuthority();
  return {
    certificate: readFileSync(files.certificate, 'utf8'),
    certificateFile: files.certificate,
    serverKey: readFileSync(files.serverKey, 'utf8'),
    serverCertificate: readFileSync(files.serverCertificate, 'utf8'),
  };
}

function makeAuthority(): void {
  const work = `${dir}.${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const at = (name: string) => join(work, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  const curve = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...curve,
    '-keyout',
    at('ca-key.pem'),
    '-out',
    at('ca.pem'),
    '-days',
    '3650',
    '-subj',
    '/CN=goodbot tests CA',
    '-addext',
    'basicConstraints=critical,CA:true',
    '-addext',
    'keyUsage=critical,keyCertSign',
  );
  openssl('req', ...curve, '-keyout', at('server-key.pem'), '-out', at('server.csr'), '-subj', '/CN=127.0.0.1');
  writeFileSync(at('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl(
    'x509',
    '-req',
    '-in',
    at('server.csr'),
    '-CA',
    at('ca.pem'),
    '-CAkey',
    at('ca-key.pem'),
    '-CAcreateserial',
    '-out',
    at('server.pem'),
    '-days',
    '3650',
    '-extfile',
    at('server.ext'),
  );
  rmSync(dir, { recursive: true, force: true });
  renameSync(work, dir);
}
