import { rootCertificates } from 'node:tls';
import { trustStorePath } from '../../backends/container.js';

/** The variables that point the usual clients (OpenSSL's, curl, python's requests, pip, git, Node) at the sandbox's bundle. */
export function trustEnvironment(): Record<string, string> {
  const path = trustStorePath;
  return { SSL_CERT_FILE: path, REQUESTS_CA_BUNDLE: path, CURL_CA_BUNDLE: path, GIT_SSL_CAINFO: path, PIP_CERT: path, NODE_EXTRA_CA_CERTS: path };
}

/** BASE (the image's bundle; default the roots Node trusts) with the run's AUTHORITY added. */
export function trustBundle(authority: string, base = `${rootCertificates.join('\n')}\n`): string {
  return `${base.endsWith('\n') || base === '' ? base : `${base}\n`}${authority}`;
}
