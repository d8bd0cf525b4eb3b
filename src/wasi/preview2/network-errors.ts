import type { Failure, FailureKind } from '../common/network-protocol.js';
import { ErrnoError, type ErrnoName } from '../../errno.js';

/** `wasi:sockets/network` `error-code`, in WIT spelling. */
export type SocketErrorCode =
  | 'unknown'
  | 'access-denied'
  | 'not-supported'
  | 'invalid-argument'
  | 'out-of-memory'
  | 'timeout'
  | 'concurrency-conflict'
  | 'not-in-progress'
  | 'would-block'
  | 'invalid-state'
  | 'new-socket-limit'
  | 'address-not-bindable'
  | 'address-in-use'
  | 'remote-unreachable'
  | 'connection-refused'
  | 'connection-reset'
  | 'connection-aborted'
  | 'datagram-too-large'
  | 'name-unresolvable'
  | 'temporary-resolver-failure'
  | 'permanent-resolver-failure';

/** `wasi:http/types` `error-code`, the cases this host reports, as the glue takes them. */
export type HttpErrorCode =
  | { tag: 'DNS-error'; val: { rcode: string | undefined; infoCode: number | undefined } }
  | { tag: 'destination-unavailable' }
  | { tag: 'destination-IP-prohibited' }
  | { tag: 'connection-refused' }
  | { tag: 'connection-terminated' }
  | { tag: 'connection-timeout' }
  | { tag: 'connection-limit-reached' }
  | { tag: 'TLS-protocol-error' }
  | { tag: 'TLS-certificate-error' }
  | { tag: 'HTTP-request-denied' }
  | { tag: 'HTTP-request-method-invalid' }
  | { tag: 'HTTP-request-URI-invalid' }
  | { tag: 'HTTP-protocol-error' }
  | { tag: 'internal-error'; val: string | undefined };

/** The sockets error code of a host failure; TLS and HTTP failures have none of their own. */
export function socketErrorCode(failure: Failure): SocketErrorCode {
  switch (failure.kind) {
    case 'tls-certificate':
    case 'tls-protocol':
    case 'http-protocol':
      return 'unknown';
    default:
      return failure.kind;
  }
}

/** Errno of a stream broken by a host failure, so that the guest's I/O error says what happened. */
const errnos: Partial<Record<FailureKind, ErrnoName>> = {
  'connection-refused': 'CONNREFUSED',
  'connection-reset': 'CONNRESET',
  'connection-aborted': 'CONNABORTED',
  'remote-unreachable': 'HOSTUNREACH',
  timeout: 'TIMEDOUT',
};

/** The stream error of a connection that failed. */
export function streamFailure(failure: Failure): ErrnoError {
  return new ErrnoError(errnos[failure.kind] ?? 'IO', failure.message);
}

/** `network-error-code` of a stream error: the sockets code its errno stands for. */
export function socketErrorCodeOfErrno(errno: ErrnoName): SocketErrorCode | undefined {
  const kind = (Object.keys(errnos) as FailureKind[]).find((key) => errnos[key] === errno);
  if (kind !== undefined) return kind as SocketErrorCode;
  return errno === 'PIPE' ? 'connection-reset' : undefined;
}

/** The HTTP error code of a host failure. */
export function httpErrorCode(failure: Failure): HttpErrorCode {
  switch (failure.kind) {
    case 'name-unresolvable':
    case 'temporary-resolver-failure':
    case 'permanent-resolver-failure':
      return { tag: 'DNS-error', val: { rcode: failure.kind, infoCode: undefined } };
    case 'connection-refused':
      return { tag: 'connection-refused' };
    case 'connection-reset':
    case 'connection-aborted':
      return { tag: 'connection-terminated' };
    case 'remote-unreachable':
      return { tag: 'destination-unavailable' };
    case 'timeout':
      return { tag: 'connection-timeout' };
    case 'tls-certificate':
      return { tag: 'TLS-certificate-error' };
    case 'tls-protocol':
      return { tag: 'TLS-protocol-error' };
    case 'http-protocol':
      return { tag: 'HTTP-protocol-error' };
    default:
      return { tag: 'internal-error', val: failure.message };
  }
}
