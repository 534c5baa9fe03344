import type { Session } from './api.js';
import type { ApprovalView } from './types.js';

/** One event of `GET /approvals/stream`. */
export interface StreamEvent {
  readonly id: string | undefined;
  readonly type: string;
  readonly approval: ApprovalView;
}

export type StreamStatus = 'connecting' | 'live' | 'reconnecting';

export interface StreamHandlers {
  /** The stream is subscribed: what happens from now on will arrive, so a list fetched now misses nothing. */
  onConnected(): void;
  onEvent(event: StreamEvent): void;
  onStatus(status: StreamStatus): void;
}

/**
 * Reads the approval stream with `fetch`, not `EventSource`, which cannot send the bearer token
 * (and a token in the URL would end up in logs). Reconnects after a drop with `Last-Event-ID`, so
 * the gateway replays what was missed, until `signal` aborts.
 */
export async function followApprovals(session: Session, handlers: StreamHandlers, signal: AbortSignal): Promise<void> {
  let lastEventId: string | undefined;
  let retryMs = 3000;
  let attempt = 0;
  while (!signal.aborted && !session.ended) {
    handlers.onStatus(attempt === 0 ? 'connecting' : 'reconnecting');
    try {
      const response = await session.fetch('/approvals/stream', {
        headers: { accept: 'text/event-stream', ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }) },
        signal,
      });
      if (!response.ok || response.body === null) throw new Error(`stream answered ${response.status}`);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end: number;
        while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
          const fields = parseBlock(block);
          if (fields.retry !== undefined) retryMs = fields.retry;
          if (fields.comment === 'connected') {
            attempt = 0;
            handlers.onStatus('live');
            handlers.onConnected();
          }
          if (fields.data === undefined) continue;
          if (fields.id !== undefined) lastEventId = fields.id;
          handlers.onEvent({ id: fields.id, type: fields.event ?? 'message', approval: JSON.parse(fields.data) as ApprovalView });
        }
      }
    } catch {
      if (signal.aborted) return;
    }
    attempt += 1;
    await new Promise((resolve) => setTimeout(resolve, Math.min(retryMs, 1000 * attempt)));
  }
}

interface Fields {
  id?: string;
  event?: string;
  data?: string;
  retry?: number;
  comment?: string;
}

function parseBlock(block: string): Fields {
  const fields: Fields = {};
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith(':')) {
      fields.comment = line.slice(1).trim();
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (name === 'id') fields.id = value;
    else if (name === 'event') fields.event = value;
    else if (name === 'data') fields.data = fields.data === undefined ? value : `${fields.data}\n${value}`;
    else if (name === 'retry' && /^\d+$/.test(value)) fields.retry = Number(value);
  }
  return fields;
}
