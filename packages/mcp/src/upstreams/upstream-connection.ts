import { Client, SdkError, SdkErrorCode, StreamableHTTPClientTransport, type CallToolResult, type Progress, type Tool, type Transport } from '@modelcontextprotocol/client';
import type { Logger, SecretStore } from '@agent-gateway/core';
import { resolveCredentials, type ResolvedCredentials, type SecretScrubber } from './credentials.js';
import { launchCommand } from './isolation.js';
import { OrderedClient } from './ordered-client.js';
import { ProcessGroupTransport } from './process-group-transport.js';
import { delayUntil, settlesBefore, withTimeout } from './timing.js';
import { UpstreamUnavailableError } from './upstream-errors.js';
import { traceMeta, tracingFetch } from './upstream-trace.js';
import type { ResolvedUpstream } from './upstream-options.js';

export type UpstreamState = 'idle' | 'starting' | 'up' | 'down' | 'closed';

/** What a connection tells the plugin: its tools (at each start and on `list_changed`), its state. */
export interface ConnectionEvents {
  onTools(tools: readonly Tool[]): void;
  onState(state: UpstreamState): void;
  /** A start after the upstream died or failed to start. */
  onRestart(): void;
}

export interface ConnectionDeps {
  readonly secrets: SecretStore;
  readonly logger: Logger;
  readonly scrubber: SecretScrubber;
  readonly events: ConnectionEvents;
  /** This gateway's name and version, as the upstream's logs will show it. */
  readonly clientInfo: { readonly name: string; readonly version: string };
}

/** One call's limits and listener: see `UpstreamConnection.callTool`. */
export interface UpstreamCallOptions {
  readonly timeoutMs: number;
  readonly totalTimeoutMs: number;
  readonly signal: AbortSignal;
  readonly onProgress: (progress: Progress) => void;
}

/** A connection that stayed up this long is healthy again: the next crash restarts at the first delay. */
const STABLE_MS = 30_000;
/**
 * How long a call waits for a restart that is due: the first restarts come quickly (backoff starts
 * small), and a call is better answered 503 with Retry-After than held through a long backoff.
 */
const MAX_RESTART_WAIT_MS = 5_000;
/** What a silent stdio server gets to answer the 2026 probe before it is taken for a 2025 one. */
const PROBE_TIMEOUT_MS = 5_000;

/**
 * One upstream MCP server: its SDK client, its process (stdio) or endpoint (HTTP), and the state
 * machine that restarts it with backoff when it dies. A call that finds the upstream down waits
 * for the restart only if it is due soon (and within the call's own timeout); else it gets 503.
 */
export class UpstreamConnection {
  readonly #config: ResolvedUpstream;
  readonly #deps: ConnectionDeps;
  #state: UpstreamState = 'idle';
  #client: Client | undefined;
  #attempt: Promise<void> | undefined;
  /** The transport of a handshake in progress, so that closing the gateway cuts it short. */
  #connecting: Transport | undefined;
  readonly #closing = new AbortController();
  #retryTimer: NodeJS.Timeout | undefined;
  #retryAt: number | undefined;
  #failures = 0;
  #upSince = 0;
  /** Set once the gateway asked for the upstream to be kept running (eager start, or a call). */
  #wanted = false;
  /** Whether its tools were ever listed: until then even a lazy upstream is retried, or it would never have tools. */
  #listed = false;
  #lastError: string | undefined;
  #restarts = 0;
  #era: string | undefined;
  #protocolVersion: string | undefined;
  #serverInfo: { name: string; version: string } | undefined;
  #pid: number | null = null;
  #isolation: 'bubblewrap' | 'none' | undefined;

  constructor(config: ResolvedUpstream, deps: ConnectionDeps) {
    this.#config = config;
    this.#deps = deps;
  }

  get name(): string {
    return this.#config.name;
  }

  get state(): UpstreamState {
    return this.#state;
  }

  /** What `/health/upstreams` shows: nothing of the configuration's secrets. */
  status() {
    return {
      state: this.#state,
      restarts: this.#restarts,
      ...(this.#era === undefined ? {} : { era: this.#era }),
      ...(this.#protocolVersion === undefined ? {} : { protocol_version: this.#protocolVersion }),
      ...(this.#serverInfo === undefined ? {} : { server: this.#serverInfo }),
      ...(this.#pid === null ? {} : { pid: this.#pid }),
      ...(this.#isolation === undefined ? {} : { isolation: this.#isolation }),
      ...(this.#retryAt === undefined ? {} : { retry_in_ms: Math.max(0, this.#retryAt - Date.now()) }),
      ...(this.#lastError === undefined ? {} : { last_error: this.#lastError }),
    };
  }

  #setState(state: UpstreamState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#deps.events.onState(state);
  }

  /** Starts the upstream and keeps it running (restarts on crash). Resolves after the first attempt, failed or not. */
  async start(): Promise<void> {
    this.#wanted = true;
    await this.#connectOnce();
  }

  /**
   * Starts it once to learn its tools, then stops it (lazy upstreams): the process runs again on the
   * first call. Resolves after the attempt, failed or not.
   */
  async probe(): Promise<void> {
    await this.#connectOnce();
  }

  /**
   * The connected client, starting or waiting for a restart when that can happen before `deadline`;
   * rejects with the signal's reason as soon as `signal` aborts.
   */
  async client(deadline: number, signal?: AbortSignal): Promise<Client> {
    this.#wanted = true;
    for (;;) {
      // A call whose caller left (or whose total limit passed) stops waiting for the upstream at once.
      signal?.throwIfAborted();
      const client = this.#client;
      if (this.#state === 'up' && client !== undefined) return client;
      if (this.#state === 'closed') throw new UpstreamUnavailableError(this.name, 'the gateway is closing');
      if (this.#attempt === undefined) {
        const due = this.#retryAt ?? Date.now();
        if (due > Math.min(deadline, Date.now() + MAX_RESTART_WAIT_MS)) {
          throw new UpstreamUnavailableError(this.name, `it is restarting (next attempt in ${Math.ceil((due - Date.now()) / 1000)} s)`, {
            retryAfterSeconds: (due - Date.now()) / 1000,
          });
        }
        if (due > Date.now()) await delayUntil(due, signal);
        if (this.#attempt === undefined && this.#state !== 'up') {
          this.#clearRetry();
          void this.#connectOnce();
        }
      }
      const attempt = this.#attempt;
      if (attempt !== undefined && !(await settlesBefore(attempt, deadline, signal))) {
        throw new UpstreamUnavailableError(this.name, 'it is still starting', { retryAfterSeconds: 1 });
      }
      if (this.#state !== 'up') throw new UpstreamUnavailableError(this.name, this.#lastError ?? 'it did not start', { retryAfterSeconds: this.#retryDelay() / 1000 });
    }
  }

  #connectOnce(): Promise<void> {
    this.#attempt ??= this.#connect().finally(() => {
      this.#attempt = undefined;
    });
    return this.#attempt;
  }

  async #connect(): Promise<void> {
    if (this.#state === 'closed') return;
    if (this.#state === 'down') {
      this.#restarts += 1;
      this.#deps.events.onRestart();
    }
    this.#setState('starting');
    const config = this.#config;
    try {
      const credentials = await resolveCredentials(this.#deps.secrets, config.credentials, this.#deps.scrubber);
      let connected: { client: Client; transport: Transport };
      try {
        connected = await this.#handshake(credentials, config.protocol === 'legacy');
      } catch (error) {
        // A 2025-era server that exits on the 2026 probe (some do) is asked again the old way.
        if (!(error instanceof SdkError && error.code === SdkErrorCode.EraNegotiationFailed)) throw error;
        connected = await this.#handshake(credentials, true);
      }
      const { client, transport } = connected;
      // Closed while it connected: the state changed under the await.
      if (this.state === 'closed') {
        await client.close().catch(() => undefined);
        return;
      }
      this.#adopt(client, transport);
      const { tools } = await client.listTools(undefined, { cacheMode: 'refresh', timeout: config.connectTimeoutMs });
      this.#listed = true;
      this.#deps.events.onTools(tools);
      // A lazy upstream nobody has called yet: its tools are known, its process can go until a call.
      if (!this.#wanted && this.state === 'up') await this.#stop('idle');
    } catch (error) {
      // Connected but the listing failed: that client goes too, or its process would be left running.
      const adopted = this.#client;
      this.#client = undefined;
      this.#onFailure(error);
      await adopted?.close().catch(() => undefined);
    }
  }

  /** One transport and client, connected within the connect timeout; on failure the transport is closed (its process killed). */
  async #handshake(credentials: ResolvedCredentials, legacy: boolean): Promise<{ client: Client; transport: Transport }> {
    const transport = this.#transport(credentials);
    this.#connecting = transport;
    const client = this.#newClient();
    try {
      const { connectTimeoutMs } = this.#config;
      // Closing the gateway ends a handshake at once: a server that never answers would hold close() for the whole connect timeout.
      await withTimeout(
        client.connect(transport, legacy ? { prior: { kind: 'legacy' } } : {}),
        connectTimeoutMs,
        `it did not finish the MCP handshake within ${connectTimeoutMs} ms`,
        this.#closing.signal,
      );
      return { client, transport };
    } catch (error) {
      await transport.close().catch(() => undefined);
      throw error;
    } finally {
      this.#connecting = undefined;
    }
  }

  #adopt(client: Client, transport: Transport | undefined): void {
    this.#client = client;
    this.#era = client.getProtocolEra();
    this.#protocolVersion = client.getNegotiatedProtocolVersion();
    const info = client.getServerVersion();
    this.#serverInfo = info === undefined ? undefined : { name: String(info.name), version: String(info.version) };
    this.#pid = transport instanceof ProcessGroupTransport ? transport.pid : null;
    this.#upSince = Date.now();
    this.#lastError = undefined;
    client.onclose = () => this.#onClosed(client);
    this.#setState('up');
  }

  #newClient(): Client {
    return new OrderedClient(
      { name: this.#deps.clientInfo.name, version: this.#deps.clientInfo.version },
      {
        ...(this.#config.protocol === 'auto' ? { versionNegotiation: { mode: 'auto' as const, probe: { timeoutMs: Math.min(PROBE_TIMEOUT_MS, this.#config.connectTimeoutMs) } } } : {}),
        listChanged: {
          tools: {
            onChanged: (error, tools) => {
              if (error !== null) this.#deps.logger.warn('mcp upstream: could not refresh its tools after list_changed', { upstream: this.name, error: this.#scrubbed(error) });
              else if (tools !== null) this.#deps.events.onTools(tools);
            },
          },
        },
      },
    );
  }

  #transport(credentials: ResolvedCredentials): Transport {
    const { transport } = this.#config;
    if (transport.kind === 'http') {
      // `tracingFetch`: each request carries the trace context of the call it is sent for.
      return new StreamableHTTPClientTransport(new URL(transport.url), { requestInit: { headers: { ...transport.headers, ...credentials.headers } }, fetch: tracingFetch });
    }
    const path = process.env.PATH;
    let garbage = 0;
    const launch = launchCommand(this.#config, transport);
    this.#isolation = launch.isolation;
    return new ProcessGroupTransport({
      command: launch.command,
      args: launch.args,
      // Only what the configuration names, and PATH so that `npx` and friends resolve.
      env: { ...(path === undefined ? {} : { PATH: path }), ...transport.env, ...credentials.env },
      ...(transport.cwd === undefined ? {} : { cwd: transport.cwd }),
      onStderrLine: (line) => this.#deps.logger.info('mcp upstream stderr', { upstream: this.name, line: this.#deps.scrubber.scrub(line) }),
      onGarbage: () => {
        // Counted, and logged at powers of two so a chatty server cannot flood the log.
        garbage += 1;
        if ((garbage & (garbage - 1)) === 0) this.#deps.logger.warn('mcp upstream wrote something on stdout that is not a JSON-RPC message; skipped', { upstream: this.name, count: garbage });
      },
    });
  }

  #onClosed(client: Client): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    this.#pid = null;
    if (this.#state === 'closed' || this.#state === 'idle') return;
    if (Date.now() - this.#upSince >= STABLE_MS) this.#failures = 0;
    this.#onFailure(new Error('the connection closed (the process exited or the server went away)'));
  }

  #onFailure(error: unknown): void {
    if (this.#state === 'closed') return;
    this.#lastError = this.#scrubbed(error);
    this.#deps.logger.warn('mcp upstream is down', { upstream: this.name, error: this.#lastError });
    this.#client = undefined;
    this.#setState('down');
    const delay = this.#retryDelay();
    this.#failures += 1;
    // Lazy upstreams nobody has called are left down once listed; a call starts them (after the same delay).
    this.#retryAt = Date.now() + delay;
    if (!this.#wanted && this.#listed) return;
    this.#retryTimer = setTimeout(() => {
      this.#clearRetry();
      void this.#connectOnce();
    }, delay);
    this.#retryTimer.unref();
  }

  #retryDelay(): number {
    const { initialMs, maxMs } = this.#config.restart;
    return Math.min(maxMs, initialMs * 2 ** Math.min(this.#failures, 30));
  }

  #clearRetry(): void {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#retryAt = undefined;
  }

  #scrubbed(error: unknown): string {
    return this.#deps.scrubber.scrub(error instanceof Error ? error.message : String(error));
  }

  /**
   * Runs one tool on the upstream: the result as the upstream sent it (errors are the caller's to
   * map). Progress is always asked for: each notification restarts `timeoutMs` (up to
   * `totalTimeoutMs`), whether or not anyone listens to it.
   */
  async callTool(tool: string, args: unknown, options: UpstreamCallOptions): Promise<CallToolResult> {
    const client = await this.client(Date.now() + options.timeoutMs, options.signal);
    // The call's trace context in `_meta` as well, for upstreams on stdio (and servers that read it there).
    const meta = traceMeta();
    const params = { name: tool, arguments: (args ?? {}) as Record<string, unknown>, ...(meta === undefined ? {} : { _meta: meta }) };
    return await client.callTool(params, {
      timeout: options.timeoutMs,
      resetTimeoutOnProgress: true,
      maxTotalTimeout: options.totalTimeoutMs,
      onprogress: options.onProgress,
      signal: options.signal,
    });
  }

  /** A call found the connection broken (an HTTP session gone, a dead pipe): drop it, so it restarts. */
  reportBroken(): void {
    const client = this.#client;
    if (client !== undefined && this.#state === 'up') void client.close().catch(() => undefined);
  }

  async #stop(state: 'idle' | 'closed'): Promise<void> {
    this.#setState(state);
    this.#clearRetry();
    const client = this.#client;
    this.#client = undefined;
    this.#pid = null;
    await client?.close().catch(() => undefined);
  }

  /** Stops for good: no restart; its process group is killed. */
  async close(): Promise<void> {
    this.#wanted = false;
    this.#closing.abort(new UpstreamUnavailableError(this.name, 'the gateway is closing'));
    await this.#stop('closed');
    await this.#connecting?.close().catch(() => undefined);
    await this.#attempt?.catch(() => undefined);
  }
}
