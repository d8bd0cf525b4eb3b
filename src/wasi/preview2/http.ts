import type { WasiContext } from '../common/context.js';
import { Fields } from './http-fields.js';
import { FutureIncomingResponse, FutureTrailers, IncomingBody, IncomingResponse } from './http-incoming.js';
import { denied, OutgoingBody, OutgoingRequest, OutgoingResponse, RequestOptions } from './http-outgoing.js';
import type { Interfaces } from './resource.js';

/** `wasi:http/types` `incoming-request`: only a server gets one, which goodbot does not run. */
export class IncomingRequest {
  private constructor() {}
}

/** `wasi:http/types` `response-outparam`: only a server gets one. */
export class ResponseOutparam {
  private constructor() {}
}

/**
 * `wasi:http`: outgoing requests. `outgoing-handler.handle` sends one when
 * the run's `NetworkGate` grants its host and port, and refuses it
 * with `HTTP-request-denied` (recorded) otherwise; redirects are the
 * guest's to follow, each one a request checked anew.
 */
export function httpInterfaces(ctx: WasiContext): Interfaces {
  return {
    'wasi:http/types': {
      Fields,
      FutureIncomingResponse,
      FutureTrailers,
      IncomingBody,
      IncomingRequest,
      IncomingResponse,
      OutgoingBody,
      OutgoingRequest,
      OutgoingResponse,
      RequestOptions,
      ResponseOutparam,
      httpErrorCode: () => undefined,
    },
    'wasi:http/outgoing-handler': {
      handle: (request: OutgoingRequest, _options: RequestOptions | undefined) => {
        const gate = ctx.network;
        if (gate?.enabled) return request.send(gate);
        const target = request.target();
        if (gate !== undefined) gate.refuse('http-request', target);
        else
          ctx.authority.record({
            operation: 'http-request',
            target,
            reason: 'network-denied',
            error: 'access-denied',
            detail: 'the run has no network',
          });
        throw denied;
      },
    },
  };
}
