import { formatServerSentEvent } from '../http/server-sent-events.js';
import { clampDelay } from '../timers/long-timeout.js';
import type { ApprovalChange, ApprovalQueue } from './approval-queue.js';

export interface ApprovalStreamOptions {
  /** Replay changes after this id (the client's `Last-Event-ID`). */
  readonly lastEventId?: number;
  /** How a change is shown to this client (full view or summary). */
  readonly present: (change: ApprovalChange) => unknown;
  /** Default 15 s. */
  readonly heartbeatMs?: number;
  /**
   * Changes held for a client that reads too slowly. Past it the stream ends, so the client
   * reconnects with Last-Event-ID instead of the gateway buffering for it without bound. Default 1000.
   */
  readonly maxBuffered?: number;
}

/**
 * One client's Server-Sent Events: replay after `lastEventId`, then every change as it happens,
 * with a heartbeat comment. Its listener and timer are removed when the client goes away.
 */
export async function* approvalEventStream(
  queue: ApprovalQueue,
  signal: AbortSignal,
  options: ApprovalStreamOptions,
): AsyncGenerator<string> {
  const maxBuffered = options.maxBuffered ?? 1000;
  const buffered: ApprovalChange[] = [];
  let heartbeatDue = false;
  let overflowed = false;
  let wake: (() => void) | undefined;
  const nudge = (): void => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  const onChange = (change: ApprovalChange): void => {
    if (buffered.length >= maxBuffered) overflowed = true;
    else buffered.push(change);
    nudge();
  };
  queue.on('change', onChange);
  const heartbeat = setInterval(() => {
    heartbeatDue = true;
    nudge();
  }, clampDelay(options.heartbeatMs ?? 15_000, 1));
  heartbeat.unref();
  signal.addEventListener('abort', nudge);
  const event = (change: ApprovalChange): string =>
    formatServerSentEvent({ id: String(change.seq), event: change.type, data: options.present(change) });
  // Fixed at subscription, before the first yield: changes from here on reach this client once each.
  let sent = options.lastEventId ?? queue.lastSeq;
  try {
    yield 'retry: 3000\n: connected\n\n';
    for (const change of queue.changesSince(sent)) {
      yield event(change);
      sent = change.seq;
    }
    while (!signal.aborted) {
      if (buffered.length === 0 && overflowed) break; // delivered what fit; the client resumes by Last-Event-ID
      if (buffered.length === 0 && !heartbeatDue) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        continue;
      }
      if (heartbeatDue) {
        heartbeatDue = false;
        yield ': heartbeat\n\n';
      }
      const change = buffered.shift();
      // Replay and live delivery overlap at the moment of connecting; each id goes out once.
      if (change !== undefined && change.seq > sent) {
        sent = change.seq;
        yield event(change);
      }
    }
  } finally {
    queue.off('change', onChange);
    clearInterval(heartbeat);
    signal.removeEventListener('abort', nudge);
  }
}
