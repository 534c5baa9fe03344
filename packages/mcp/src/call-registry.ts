import type { Caller } from '@agent-gateway/core';

export interface ClientInfo {
  readonly name: string;
  readonly version: string;
}

/** One token's calls and handshake: a token is one client's session as far as this node can tell. */
export function callerKey(caller: Caller): string {
  return caller.tokenId ?? `${caller.id}/${caller.userId ?? ''}`;
}

/** How many tokens' handshakes are remembered; the oldest is forgotten first. */
const MAX_CLIENTS = 10_000;

/**
 * What this node remembers between the requests of a 2025-era client, which is served statelessly
 * (each request by a fresh server instance): the client's name and version from its `initialize`
 * (later requests do not repeat them), and its running calls by JSON-RPC id, because its
 * `notifications/cancelled` arrives on a request of its own. Both are per node: behind a load
 * balancer, only a client that stays on one node (sticky by token) gets its name into the audit
 * log and its cancellation to the running call; otherwise it is cancelled by disconnecting.
 * 2026-07-28 clients need none of this: they name themselves on every request and cancel by
 * closing the call's stream.
 */
export class CallRegistry {
  readonly #clients = new Map<string, ClientInfo>();
  readonly #running = new Map<string, Set<AbortController>>();
  readonly #unsettled = new Set<Promise<unknown>>();
  /** Aborts every call when the endpoint closes: a held call must not outlive the gateway's audit log. */
  readonly #closing = new AbortController();

  rememberClient(caller: Caller, client: ClientInfo): void {
    const key = callerKey(caller);
    this.#clients.delete(key);
    this.#clients.set(key, { name: client.name, version: client.version });
    if (this.#clients.size > MAX_CLIENTS) {
      const oldest = this.#clients.keys().next();
      if (oldest.done !== true) this.#clients.delete(oldest.value);
    }
  }

  clientOf(caller: Caller): ClientInfo | undefined {
    return this.#clients.get(callerKey(caller));
  }

  /** Aborted once the endpoint closes. */
  get closing(): AbortSignal {
    return this.#closing.signal;
  }

  /**
   * Tracks a running call; its signal aborts with `request`, when the client cancels it, or when the
   * endpoint closes. Call `end()` when it settles.
   */
  start(caller: Caller, requestId: string | number, request: AbortSignal): { readonly signal: AbortSignal; end(): void } {
    const key = `${callerKey(caller)}#${String(requestId)}`;
    const controller = new AbortController();
    const parent = AbortSignal.any([request, this.#closing.signal]);
    const onAbort = (): void => controller.abort(parent.reason);
    if (parent.aborted) onAbort();
    else parent.addEventListener('abort', onAbort, { once: true });
    const calls = this.#running.get(key) ?? new Set<AbortController>();
    calls.add(controller);
    this.#running.set(key, calls);
    return {
      signal: controller.signal,
      end: () => {
        parent.removeEventListener('abort', onAbort);
        calls.delete(controller);
        if (calls.size === 0 && this.#running.get(key) === calls) this.#running.delete(key);
      },
    };
  }

  /** The client cancelled its request `requestId`: only that caller's own calls are reached. */
  cancel(caller: Caller, requestId: string | number, reason: string | undefined): void {
    for (const controller of this.#running.get(`${callerKey(caller)}#${String(requestId)}`) ?? []) {
      controller.abort(new Error(`cancelled by the client${reason === undefined ? '' : `: ${reason}`}`));
    }
  }

  /** Runs `work` as one of the endpoint's calls, which `close()` waits for. */
  async settle<T>(work: () => Promise<T>): Promise<T> {
    const running = work();
    this.#unsettled.add(running);
    try {
      return await running;
    } finally {
      this.#unsettled.delete(running);
    }
  }

  /** Aborts every call and waits until each has settled (its audit entries written). */
  async close(): Promise<void> {
    this.#closing.abort();
    await Promise.allSettled([...this.#unsettled]);
  }

  get runningCount(): number {
    return [...this.#running.values()].reduce((sum, calls) => sum + calls.size, 0);
  }
}
