import {
  addressTarget,
  connectTarget,
  decideConnect,
  decideListen,
  decideResolve,
  type ConnectRequest,
  type Decision,
  type ListenRequest,
} from './network-access.js';
import { secretIsFor, type SecretPlace } from './secrets.js';
import type { Allowance, Denial, NetworkGrant, SecretSpec, ToolGrant, ZoneSpec } from './types.js';

/**
 * The one place where a run's capability checks are decided and recorded.
 *
 * Zones, the WASI host and network code ask the authority before any access
 * the policy might not grant; every refusal is recorded here, for the run
 * result and the audit log, whichever layer detected it. Network decisions
 * are recorded whether allowed or not.
 */
export class Authority {
  /** The first {@link maxRecordedDecisions} refusals, in order. */
  readonly denials: Denial[] = [];
  /** Every refusal, recorded or not. */
  denialCount = 0;
  private allowanceCount = 0;

  constructor(
    private readonly onDenial: (denial: Denial) => void = () => {},
    private readonly onAllowance: (allowance: Allowance) => void = () => {},
  ) {}

  /**
   * May the guest change `target` in `zone` (write, create, remove, rename,
   * link, set times…)? Only read-write zones allow it. A refusal is recorded.
   */
  mayModify(zone: ZoneSpec, operation: string, target: string): boolean {
    if (zone.access === 'rw') return true;
    this.record({ operation, target, zone: zone.name, reason: 'read-only-zone', error: 'EROFS' });
    return false;
  }

  /**
   * May the guest change `target` inside a `.git` folder of `zone`? Only
   * when the zone says `git: writable`. A refusal is recorded.
   */
  mayModifyGitFolder(zone: ZoneSpec, operation: string, target: string): boolean {
    if (zone.gitWritable === true) return true;
    this.record({ operation, target, zone: zone.name, reason: 'git-folder', error: 'EROFS' });
    return false;
  }

  /** May catalog tool NAME run under GRANT (`sandbox.tools.allow`)? A refusal is recorded. */
  mayRunTool(grant: ToolGrant, name: string): boolean {
    if (grant.allow === 'all' || grant.allow.includes(name)) return true;
    this.record({ operation: 'run-tool', target: name, reason: 'tool-not-allowed', error: 'policy' });
    return false;
  }

  /**
   * May the guest connect to, send to or request from REQUEST's address and
   * port (`tcp-connect`, `udp-send`, `http-request`)? Call it with the
   * address the host resolved, right before using it.
   */
  mayConnect(grant: NetworkGrant, request: ConnectRequest): boolean {
    return this.decided(connectOperations[request.protocol], connectTarget(request), decideConnect(grant, request));
  }

  /** May the guest look up NAME (`ip-name-lookup`)? Only names some grant could match. */
  mayResolve(grant: NetworkGrant, name: string): boolean {
    return this.decided('ip-name-lookup', name, decideResolve(grant, name));
  }

  /**
   * May the host look up NAME on the way to OPERATION on TARGET (the host of
   * an HTTP request)? Only names some grant could match, so a guest cannot
   * send data out through lookups. Only a refusal is recorded: the
   * connection check that follows records the access itself.
   */
  mayLookUpFor(grant: NetworkGrant, name: string, operation: string, target: string): boolean {
    const decision = decideResolve(grant, name);
    if (!decision.allowed) this.record({ operation, target, reason: 'network-denied', error: 'access-denied', detail: decision.why });
    return decision.allowed;
  }

  /**
   * May SECRET's value replace its placeholder at PLACE of a request to
   * HOST:PORT (the host the request goes to, TLS-checked when it is HTTPS)?
   * Only for the secret's own hosts, in headers, and in the query when the
   * secret says so. Recorded either way, by name and host: a refusal means
   * the placeholder went out unchanged.
   */
  maySendSecret(secret: SecretSpec, host: { readonly name: string; readonly port: number }, place: SecretPlace): boolean {
    const target = addressTarget(host.name, host.port);
    const operation = 'secret-substitute';
    const forHost = secretIsFor(secret, host);
    const inPlace = place === 'header' || (place === 'query' && secret.query);
    if (forHost && inPlace) {
      if (this.allowanceCount++ < maxRecordedDecisions) this.onAllowance({ operation, target, grant: target, secret: secret.name });
      return true;
    }
    const where = place === 'header' ? 'in a header' : place === 'query' ? 'in the query' : 'in the path';
    const detail = !forHost
      ? `${secret.name} is only for ${secret.hosts.map((candidate) => addressTarget(candidate.name, candidate.port)).join(', ')}: its placeholder went ${where} unchanged`
      : place === 'query'
        ? `${secret.name}'s placeholder went in the query unchanged (sandbox.secrets: query is off)`
        : `${secret.name}'s placeholder went in the path unchanged (only headers and the query carry values)`;
    this.record({ operation, target, reason: 'secret-not-granted', error: 'placeholder-sent', detail, secret: secret.name });
    return false;
  }

  /** May the guest listen on (or bind a fixed port of) a local address? Never, in this version. */
  mayListen(request: ListenRequest): boolean {
    return this.decided(`${request.protocol}-listen`, addressTarget(request.address, request.port), decideListen(request));
  }

  /**
   * Records a refusal detected elsewhere (a path escape, a special file, a
   * quota). Past {@link maxRecordedDecisions} only the count goes on: a
   * guest refused in a loop must not fill the host's memory or audit log.
   */
  record(denial: Denial): void {
    if (this.denialCount++ >= maxRecordedDecisions) return;
    this.denials.push(denial);
    this.onDenial(denial);
  }

  /** Refusals past the recorded ones (counted only). */
  get denialsOmitted(): number {
    return this.denialCount - this.denials.length;
  }

  private decided(operation: string, target: string, decision: Decision): boolean {
    if (!decision.allowed) this.record({ operation, target, reason: 'network-denied', error: 'access-denied', detail: decision.why });
    else if (this.allowanceCount++ < maxRecordedDecisions) this.onAllowance({ operation, target, grant: decision.rule.entry });
    return decision.allowed;
  }
}

/** Refusals (and, apart, network allowances) a run records one by one; past this many they are only counted. */
export const maxRecordedDecisions = 1000;

const connectOperations = { tcp: 'tcp-connect', udp: 'udp-send', http: 'http-request' } as const;
