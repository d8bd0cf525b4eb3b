import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { connect, TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateSerial, RunCertificateAuthority } from '../../../src/node/docker/run-certificates.js';
import type { SecretHost } from '../../../src/policy/types.js';
import { removeTree, tempDir } from '../../helpers/guests.js';

/**
 * A run's certificate authority, checked by OpenSSL (its command line and
 * Node's TLS), not by the code that made it.
 */
const hosts: SecretHost[] = [
  { name: 'api.example.com', port: 443, literal: false },
  { name: '127.0.0.1', port: 8443, literal: true },
];
let dir: string;
beforeAll(() => {
  dir = tempDir('goodbot-run-ca-');
});
afterAll(() => removeTree(dir));

/** OpenSSL's text for CERTIFICATE's extensions NAMES. */
function extensions(certificate: string, names: string): string {
  const file = join(dir, 'cert.pem');
  writeFileSync(file, certificate);
  return execFileSync('openssl', ['x509', '-in', file, '-noout', '-ext', names], { encoding: 'utf8' });
}

/** Connects to a server presenting AUTHORITY's certificate for HOST, trusting TRUSTED only: the handshake's outcome. */
async function handshake(authority: RunCertificateAuthority, host: SecretHost, trusted: string, servername?: string): Promise<string> {
  // As the egress proxy does: its TLS over an accepted connection, whatever name the client sends (or none, for an address).
  const server = createServer((plain) => {
    const socket = new TLSSocket(plain, { isServer: true, secureContext: authority.contextFor(host) });
    socket.on('error', () => socket.destroy());
    socket.on('secure', () => socket.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    return await new Promise<string>((resolve) => {
      const socket: TLSSocket = connect({ host: '127.0.0.1', port, ca: [trusted], servername: servername ?? (host.literal ? '' : host.name) }, () => {
        socket.destroy();
        resolve('trusted');
      });
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
  } finally {
    server.close();
  }
}

describe("a run's certificate authority", () => {
  it('is an authority for its hosts only: name constraints, no authority below it, a short life', () => {
    const authority = new RunCertificateAuthority({ hosts, validForMs: 3_600_000 });
    const text = extensions(authority.certificate, 'basicConstraints,keyUsage,nameConstraints');
    expect(text).toMatch(/Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    expect(text).toMatch(/Key Usage: critical\s+Certificate Sign/);
    expect(text).toMatch(
      /Name Constraints: critical\s+Permitted:\s+DNS:api\.example\.com\s+IP:127\.0\.0\.1\/255\.255\.255\.255\s+IP:0:0:0:0:0:0:0:0\/FFFF(:FFFF){7}/,
    );
    const file = join(dir, 'ca.pem');
    writeFileSync(file, authority.certificate);
    const end = new Date(execFileSync('openssl', ['x509', '-in', file, '-noout', '-enddate'], { encoding: 'utf8' }).split('=')[1]!.trim());
    expect(end.getTime() - Date.now()).toBeLessThan(3_700_000);
  });

  it("presents certificates its own run's clients trust, for names and addresses", async () => {
    const authority = new RunCertificateAuthority({ hosts, validForMs: 3_600_000 });
    expect(await handshake(authority, hosts[0]!, authority.certificate)).toBe('trusted');
    expect(await handshake(authority, hosts[1]!, authority.certificate)).toBe('trusted');
  });

  it("attack: another run's authority, or a host outside the run's secrets, gets nothing", async () => {
    const mine = new RunCertificateAuthority({ hosts, validForMs: 3_600_000 });
    const theirs = new RunCertificateAuthority({ hosts, validForMs: 3_600_000 });
    expect(mine.certificate).not.toBe(theirs.certificate);
    expect(await handshake(theirs, hosts[0]!, mine.certificate)).toBe('SELF_SIGNED_CERT_IN_CHAIN');
    expect(() => mine.contextFor({ name: 'evil.example.com', port: 443, literal: false })).toThrow(/not a host of the run's secrets/);
    // A client asking for another name than the certificate's is refused by its own check.
    expect(await handshake(mine, hosts[0]!, mine.certificate, 'evil.example.com')).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });
});

describe('run certificates are always well formed', () => {
  it('serial numbers are positive DER integers without a leading zero byte (one in 256 was refused by OpenSSL)', () => {
    for (let i = 0; i < 20_000; i++) {
      const serial = certificateSerial();
      expect(serial.length).toBe(16);
      expect(serial[0]! >= 0x40 && serial[0]! <= 0x7f).toBe(true);
    }
  });

  it('Node (OpenSSL) accepts every one of 400 authorities and their leaf certificates', () => {
    for (let i = 0; i < 400; i++) {
      const authority = new RunCertificateAuthority({ hosts, validForMs: 60_000 });
      expect(() => authority.contextFor(hosts[0]!)).not.toThrow();
    }
  });
});
