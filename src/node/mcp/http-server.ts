import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Policy } from '../../policy/types.js';
import { Session, type SessionRunner } from '../../session/session.js';
import type { SessionIndex } from '../../session/session-index.js';
import { sessionServer } from './mcp-server.js';

export interface HttpServeOptions {
  readonly policy: Policy;
  readonly runner: SessionRunner;
  readonly index?: SessionIndex;
  /** Every request must carry `Authorization: Bearer TOKEN`. */
  readonly token: string;
  /** The address to listen on: a host name or IP and a port (0: any free one). */
  readonly host: string;
  readonly port: number;
  /** Host names (besides the listening address and loopback's) that clients may use: the `Host` header is checked against them. */
  readonly allowedHosts?: readonly string[];
  /** Origins (`https://app.example`) whose pages may call; none by default, so no web page can. */
  readonly allowedOrigins?: readonly string[];
  /** A session unused this long (ms) is closed. */
  readonly idleMs: number;
  /** Sessions open at once; a new one past it is answered "busy". */
  readonly maxSessions: number;
  /** Tool calls running at once across sessions; one past it is answered "busy". */
  readonly maxRuns: number;
  readonly maxOutputChars: number;
}

interface OpenSession {
  session: Session | undefined;
  readonly server: McpServer;
  readonly transport: StreamableHTTPServerTransport;
  lastUsed: number;
  calls: number;
}

/**
 * MCP over Streamable HTTP: many sessions at once, each an MCP session whose
 * id is its goodbot session's. Every request is checked before the MCP
 * layer sees it: the path, the `Host` header (against DNS rebinding, as
 * the MCP specification requires), the `Origin` of a browser, and the
 * bearer token. Clients choose commands, never the policy.
 */
export class McpHttpServer {
  private readonly http: Server;
  private readonly sessions = new Map<string, OpenSession>();
  private readonly token: Buffer;
  private runsInFlight = 0;
  private sweeper: ReturnType<typeof setInterval> | undefined;
  private allowedHosts = new Set<string>();

  constructor(private readonly options: HttpServeOptions) {
    this.token = Buffer.from(options.token);
    this.http = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) reply(response, 500, jsonRpcError(-32603, `goodbot failed: ${(error as Error)?.message ?? error}`));
        else response.end();
      });
    });
  }

  /** Starts listening; resolves with the address (the port chosen when 0 was asked). */
  async listen(): Promise<{ host: string; port: number }> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.options.port, this.options.host, () => resolve());
    });
    const { port } = this.http.address() as AddressInfo;
    const hosts = [this.options.host, 'localhost', '127.0.0.1', '[::1]', ...(this.options.allowedHosts ?? [])];
    this.allowedHosts = new Set(hosts.map((host) => `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`.toLowerCase()));
    const every = Math.max(50, Math.min(this.options.idleMs / 4, 30_000));
    this.sweeper = setInterval(() => void this.closeIdle(), every);
    this.sweeper.unref();
    return { host: this.options.host, port };
  }

  /** Sessions open now. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  async close(): Promise<void> {
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    await Promise.all([...this.sessions.keys()].map((id) => this.closeSession(id)));
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    // Clients' kept-alive connections would hold the port for their timeout otherwise.
    this.http.closeAllConnections();
    await closed;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://goodbot');
    if (url.pathname !== '/mcp') return reply(response, 404, { error: 'not found: the MCP endpoint is /mcp' });
    const host = (request.headers.host ?? '').toLowerCase();
    if (!this.allowedHosts.has(host)) return reply(response, 403, jsonRpcError(-32000, `host '${host}' is not allowed (DNS rebinding protection)`));
    const origin = request.headers.origin;
    if (origin !== undefined && !this.originAllowed(origin)) return reply(response, 403, jsonRpcError(-32000, `origin '${origin}' is not allowed`));
    if (!this.authorized(request.headers.authorization)) {
      response.setHeader('WWW-Authenticate', 'Bearer');
      return reply(response, 401, jsonRpcError(-32001, 'a bearer token is required (Authorization: Bearer TOKEN)'));
    }
    const id = request.headers['mcp-session-id'];
    if (typeof id === 'string') {
      const open = this.sessions.get(id);
      if (open === undefined) return reply(response, 404, jsonRpcError(-32001, `no session ${id}: it ended or expired; start a new one`));
      open.lastUsed = Date.now();
      return open.transport.handleRequest(request, response);
    }
    if (request.method !== 'POST') return reply(response, 400, jsonRpcError(-32000, 'start a session with an initialize request (POST)'));
    if (this.sessions.size >= this.options.maxSessions) {
      return reply(
        response,
        503,
        jsonRpcError(-32000, `busy: ${this.sessions.size} sessions are open, the most this server allows; try again later`),
      );
    }
    await this.openSession().transport.handleRequest(request, response);
  }

  private openSession(): OpenSession {
    const id = randomUUID();
    const { policy, runner, index } = this.options;
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => id,
      // Only an initialized MCP session becomes a goodbot session (and a record in the index).
      onsessioninitialized: () => {
        open.session = new Session(id, policy, runner, index);
        this.sessions.set(id, open);
      },
      onsessionclosed: () => this.closeSession(id),
    });
    const server = sessionServer(() => open.session!, {
      maxOutputChars: this.options.maxOutputChars,
      admit: () => {
        if (this.runsInFlight >= this.options.maxRuns) return undefined;
        this.runsInFlight++;
        open.calls++;
        return () => {
          this.runsInFlight--;
          open.calls--;
          open.lastUsed = Date.now();
        };
      },
    });
    const open: OpenSession = { session: undefined, server, transport, lastUsed: Date.now(), calls: 0 };
    transport.onclose = () => void this.closeSession(id);
    void server.connect(transport);
    return open;
  }

  private async closeSession(id: string): Promise<void> {
    const open = this.sessions.get(id);
    if (open === undefined) return;
    this.sessions.delete(id);
    await open.server.close().catch(() => {});
    await open.session?.close();
  }

  /** Closes sessions unused for `idleMs` with nothing running. */
  private async closeIdle(): Promise<void> {
    const now = Date.now();
    for (const [id, open] of this.sessions) {
      if (open.calls === 0 && now - open.lastUsed >= this.options.idleMs) await this.closeSession(id);
    }
  }

  private originAllowed(origin: string): boolean {
    if ((this.options.allowedOrigins ?? []).includes(origin)) return true;
    try {
      const url = new URL(origin);
      return (url.protocol === 'http:' || url.protocol === 'https:') && this.allowedHosts.has(url.host.toLowerCase());
    } catch {
      return false;
    }
  }

  private authorized(header: string | undefined): boolean {
    const match = /^Bearer (.+)$/.exec(header ?? '');
    if (match === null) return false;
    const given = Buffer.from(match[1]!);
    return given.length === this.token.length && timingSafeEqual(given, this.token);
  }
}

function jsonRpcError(code: number, message: string): unknown {
  return { jsonrpc: '2.0', error: { code, message }, id: null };
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
