import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as x509 from '@peculiar/asn1-x509';
import { createSecureContext, type SecureContext } from 'node:tls';
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import type { Policy, SecretHost } from '../../policy/types.js';

/** ecdsa-with-SHA256: P-256 keys, made in well under a millisecond, signing what `crypto.sign` returns (DER). */
const ecdsaWithSha256 = '1.2.840.10045.4.3.2';
const commonName = '2.5.4.3';

/** What a run's certificate authority may certify: its hosts' names and addresses, nothing else. */
export interface CertificateScope {
  readonly hosts: readonly SecretHost[];
  /** How long its certificates are valid (the run's timeout and a margin). */
  readonly validForMs: number;
}

/**
 * A certificate authority of one run, so its egress proxy can open the TLS
 * of requests to a secret's hosts and put the value in. Its key is made in
 * memory and never leaves it; its certificate is the only thing the run's
 * sandbox gets, to trust. Another run's proxy has another key, so a
 * certificate from one run is worth nothing to another. Name constraints
 * bind it to the run's secret hosts (names and addresses; every other name
 * or address is outside them), it can sign no other authority, and it
 * expires with the run.
 */
export class RunCertificateAuthority {
  /** The authority's certificate (PEM), for the sandbox's trust store. */
  readonly certificate: string;
  private readonly key: KeyObject;
  private readonly leafKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  private readonly leafKeyPem: string;
  private readonly contexts = new Map<string, SecureContext>();
  private readonly notAfter: Date;
  /** `goodbot run CA` and a random tag: no two runs' authorities share a name, so neither can pass as the other's issuer. */
  private readonly name = `goodbot run CA ${randomBytes(8).toString('hex')}`;
  private readonly keyIdentifier: ArrayBuffer;

  constructor(private readonly scope: CertificateScope) {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.key = privateKey;
    this.notAfter = new Date(Date.now() + scope.validForMs);
    this.leafKeyPem = this.leafKey.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    this.keyIdentifier = arrayBuffer(createHash('sha1').update(subjectPublicKey(publicKey)).digest());
    this.certificate = this.issue(this.name, publicKey, [
      extension(x509.id_ce_subjectKeyIdentifier, new x509.SubjectKeyIdentifier(this.keyIdentifier)),
      extension(x509.id_ce_basicConstraints, new x509.BasicConstraints({ cA: true, pathLenConstraint: 0 })),
      extension(x509.id_ce_keyUsage, new x509.KeyUsage(x509.KeyUsageFlags.keyCertSign)),
      extension(x509.id_ce_nameConstraints, nameConstraints(scope.hosts)),
    ]);
  }

  /** The TLS context that presents HOST's certificate (made on first use); only for the run's secret hosts. */
  contextFor(host: SecretHost): SecureContext {
    if (!this.scope.hosts.some((candidate) => candidate.name === host.name)) throw new Error(`${host.name} is not a host of the run's secrets`);
    let context = this.contexts.get(host.name);
    if (context === undefined) {
      const name = new x509.GeneralName(host.literal ? { iPAddress: host.name } : { dNSName: host.name });
      // No subject: a common name that looks like a host name would be held to the name constraints too.
      const certificate = this.issue(undefined, this.leafKey.publicKey, [
        extension(x509.id_ce_subjectAltName, new x509.SubjectAlternativeName([name])),
        extension(x509.id_ce_extKeyUsage, new x509.ExtendedKeyUsage([x509.id_kp_serverAuth])),
        extension(x509.id_ce_keyUsage, new x509.KeyUsage(x509.KeyUsageFlags.digitalSignature)),
        extension(x509.id_ce_authorityKeyIdentifier, new x509.AuthorityKeyIdentifier({ keyIdentifier: new x509.KeyIdentifier(this.keyIdentifier) })),
      ]);
      context = createSecureContext({ key: this.leafKeyPem, cert: `${certificate}${this.certificate}` });
      this.contexts.set(host.name, context);
    }
    return context;
  }

  /** A certificate for SUBJECT's PUBLIC_KEY (none: named by its extensions only) with EXTENSIONS, signed by the authority's key, as PEM. */
  private issue(subject: string | undefined, publicKey: KeyObject, extensions: x509.Extension[]): string {
    const serial = certificateSerial();
    const algorithm = new x509.AlgorithmIdentifier({ algorithm: ecdsaWithSha256 });
    const tbs = new x509.TBSCertificate({
      version: x509.Version.v3,
      serialNumber: arrayBuffer(serial),
      signature: algorithm,
      issuer: nameOf(this.name),
      subject: subject === undefined ? new x509.Name([]) : nameOf(subject),
      validity: new x509.Validity({ notBefore: new Date(Date.now() - 60_000), notAfter: this.notAfter }),
      subjectPublicKeyInfo: AsnConvert.parse(publicKey.export({ type: 'spki', format: 'der' }), x509.SubjectPublicKeyInfo),
      extensions: new x509.Extensions(extensions),
    });
    const signature = sign('sha256', Buffer.from(AsnConvert.serialize(tbs)), this.key);
    const der = Buffer.from(
      AsnConvert.serialize(new x509.Certificate({ tbsCertificate: tbs, signatureAlgorithm: algorithm, signatureValue: arrayBuffer(signature) })),
    );
    return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END CERTIFICATE-----\n`;
  }
}

/**
 * A random serial number as the contents of a DER INTEGER: 16 bytes, the
 * first 0x40-0x7f, so it is positive and has no leading zero byte (OpenSSL
 * refuses a certificate whose INTEGER has one, "illegal padding": with the
 * first byte only masked to 0x00-0x7f, one certificate in 256 was refused).
 */
export function certificateSerial(): Uint8Array {
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x3f) | 0x40;
  return serial;
}

/** How long a run's certificates are valid: its timeout (a day without one) and ten minutes. */
export function certificateLifetime(policy: Policy): number {
  return (policy.limits.timeoutMs ?? 86_400_000) + 600_000;
}

/**
 * Permitted: each host's name (dNSName) or address (iPAddress, /32 or
 * /128). A kind of name with no host gets a subtree nothing real falls in,
 * since a kind absent from the constraints would be unconstrained.
 */
function nameConstraints(hosts: readonly SecretHost[]): x509.NameConstraints {
  const names = hosts.filter((host) => !host.literal).map((host) => new x509.GeneralName({ dNSName: host.name }));
  const addresses = hosts
    .filter((host) => host.literal)
    .map((host) => new x509.GeneralName({ iPAddress: `${host.name}/${host.name.includes(':') ? 128 : 32}` }));
  if (names.length === 0) names.push(new x509.GeneralName({ dNSName: 'invalid' }));
  if (!addresses.some((general) => !general.iPAddress!.includes(':'))) addresses.push(new x509.GeneralName({ iPAddress: '0.0.0.0/32' }));
  if (!addresses.some((general) => general.iPAddress!.includes(':'))) addresses.push(new x509.GeneralName({ iPAddress: '::/128' }));
  const subtrees = [...names, ...addresses].map((base) => new x509.GeneralSubtree({ base }));
  return new x509.NameConstraints({ permittedSubtrees: new x509.GeneralSubtrees(subtrees) });
}

/** Critical but for the key identifiers and extended key usage; a certificate without a subject must mark its alternative names critical. */
function extension(id: string, value: unknown): x509.Extension {
  const critical = ![x509.id_ce_extKeyUsage, x509.id_ce_subjectKeyIdentifier, x509.id_ce_authorityKeyIdentifier].includes(id);
  return new x509.Extension({ extnID: id, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

/** The bits of PUBLIC_KEY's subjectPublicKey (what a key identifier hashes). */
function subjectPublicKey(publicKey: KeyObject): Uint8Array {
  return new Uint8Array(AsnConvert.parse(publicKey.export({ type: 'spki', format: 'der' }), x509.SubjectPublicKeyInfo).subjectPublicKey);
}

function nameOf(text: string): x509.Name {
  const value = new x509.AttributeValue({ utf8String: text });
  return new x509.Name([new x509.RelativeDistinguishedName([new x509.AttributeTypeAndValue({ type: commonName, value })])]);
}

function arrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
