import type { Failure, FailureKind } from '../../wasi/common/network-protocol.js';

const kinds: Record<string, FailureKind> = {
  ECONNREFUSED: 'connection-refused',
  ECONNRESET: 'connection-reset',
  EPIPE: 'connection-reset',
  ECONNABORTED: 'connection-aborted',
  EHOSTUNREACH: 'remote-unreachable',
  ENETUNREACH: 'remote-unreachable',
  EHOSTDOWN: 'remote-unreachable',
  ENETDOWN: 'remote-unreachable',
  ETIMEDOUT: 'timeout',
  ENOTFOUND: 'name-unresolvable',
  ENODATA: 'name-unresolvable',
  EAI_NONAME: 'name-unresolvable',
  EAI_AGAIN: 'temporary-resolver-failure',
  EAI_FAIL: 'permanent-resolver-failure',
  EMSGSIZE: 'datagram-too-large',
  EADDRINUSE: 'address-in-use',
  EADDRNOTAVAIL: 'address-not-bindable',
  EPROTO: 'tls-protocol',
  ERR_TLS_CERT_ALTNAME_INVALID: 'tls-certificate',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'tls-certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'tls-certificate',
  CERT_HAS_EXPIRED: 'tls-certificate',
  CERT_NOT_YET_VALID: 'tls-certificate',
  CERT_REVOKED: 'tls-certificate',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'tls-certificate',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'tls-certificate',
};

/** What a Node network error means, in the broker's vocabulary. */
export function failureOf(error: unknown): Failure {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code !== 'string') return { kind: 'unknown', message };
  const kind = kinds[code] ?? (code.startsWith('HPE_') ? 'http-protocol' : code.startsWith('ERR_SSL_') ? 'tls-protocol' : 'unknown');
  return { kind, message };
}
