import { formatServerSentEvent } from '../http/server-sent-events.js';
import { clampDelay } from '../timers/long-timeout.js';
import type { ApprovalChange, ApprovalQueue } from './approval-queue.js';

export interface ApprovalStreamOptions {
  /** Replay changes after this id (the client's `Last-Event-ID`). */
  readonly lastEventId?: number;
  /**
   * How a change is shown to this client (full view or summary). Streams given the same function
   * share its output for live changes: each is presented and serialised once per function, not once
   * per client, so pass one function per audience (one whose output depends only on the change).
   */
  readonly present: (change: ApprovalChange) => unknown;
  /** Default 15 s. */
  readonly heartbeatMs?: number;
  /**
   * Changes held for a client that reads too slowly. Past it the stream ends, so the client
   * reconnects with Last-Event-ID instead of the gateway buffering for it without bound. Default 1000.
   */
  readonly maxBuffered?: number;
  /**
   * Whether the client may still see this stream (its session not revoked, its token not expired),
   * asked at most once per `recheckMs` before a change or heartbeat goes out; `false` ends the stream.
   * Without it the stream is checked only when it is opened.
   */
  readonly stillAllowed?: () => Promise<boolean>;
  /** Default 1 s: how stale the answer of `stillAllowed` may be when an event goes out. */
  readonly recheckMs?: number;
}

type Presenter = ApprovalStreamOptions['present'];

function formatChange(present: Presenter, change: ApprovalChange): string {
  return formatServerSentEvent({ id: String(change.seq), event: change.type, data: present(change) });
}

/**
 * Each live change's event text, per presenter. With 1,000 clients of one audience, a change is
 * viewed, scrubbed and serialised once instead of 1,000 times. Replay of what happened before a
 * client subscribed does not use it: a client that reconnects later sees old changes through the
 * redaction rules of that moment, as before. Both maps are weak: a change leaves with the replay
 * buffer, a presenter with the gateway that made it.
 */
const liveEventTexts = new WeakMap<Presenter, WeakMap<ApprovalChange, string>>();

function liveEventText(present: Presenter, change: ApprovalChange): string {
  let texts = liveEventTexts.get(present);
  if (texts === undefined) {
    texts = new WeakMap();
    liveEventTexts.set(present, texts);
  }
  let text = texts.get(change);
  if (text === undefined) {
    text = formatChange(present, change);
    texts.set(change, text);
  }
  return text;
}

/**
 * Clients woken per turn of the event loop. A change is emitted inside the call that made it (a held
 * call's request, a decision); woken all at once, every client would be written to before that
 * call's own answer, which waits for its audit entry's write and fsync to come back on later turns.
 * Woken a slice per turn, the answer goes out between two slices. Small slices, since each of those
 * turns waits for one (1,000 clients, bench/approval-stream.ts on a busy machine: a 202's p50 was
 * 24 ms with slices of 64, 21 ms with 16, delivery within the noise).
 */
const WAKE_SLICE = 16;
const wakeQueue: Array<() => void> = [];
let wakeTurnScheduled = false;

function wakeInSlices(): void {
  const slice = wakeQueue.splice(0, WAKE_SLICE);
  if (wakeQueue.length > 0) setImmediate(wakeInSlices);
  else wakeTurnScheduled = false;
  for (const wake of slice) wake();
}

/** Runs `wake` on a later turn of the event loop, after the clients already waiting to be woken. */
function wakeLater(wake: () => void): void {
  wakeQueue.push(wake);
  if (wakeTurnScheduled) return;
  wakeTurnScheduled = true;
  setImmediate(wakeInSlices);
}

/**
 * One client's Server-Sent Events: replay after `lastEventId`, then every change as it happens
 * (from the next turn of the event loop on, so the call that made it is not held up), with a
 * heartbeat comment. Its listener and timer are removed when the client goes away.
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
  let wakeQueued = false;
  const wakeForChanges = (): void => {
    wakeQueued = false;
    nudge();
  };
  const onChange = (change: ApprovalChange): void => {
    // Buffered now, so order and overflow are as the changes happened; formatted and sent a turn later.
    if (buffered.length >= maxBuffered) overflowed = true;
    else buffered.push(change);
    if (wakeQueued) return;
    // Stryker disable next-line BooleanLiteral: never marking a wake as queued only queues one per change instead of one per turn; a wake that finds no waiter does nothing
    wakeQueued = true;
    wakeLater(wakeForChanges);
  };
  queue.on('change', onChange);
  const heartbeat = setInterval(() => {
    heartbeatDue = true;
    nudge();
  }, clampDelay(options.heartbeatMs ?? 15_000, 1));
  heartbeat.unref();
  signal.addEventListener('abort', nudge);
  // Fixed at subscription, before the first yield: changes from here on reach this client once each.
  const subscribedAt = queue.lastSeq;
  let sent = options.lastEventId ?? subscribedAt;
  const { stillAllowed } = options;
  const recheckMs = options.recheckMs ?? 1000;
  let checkedAt = performance.now();
  // A session revoked (or a token expired) while its stream is open must stop seeing held calls.
  const allowed = async (): Promise<boolean> => {
    if (stillAllowed === undefined || performance.now() - checkedAt < recheckMs) return true;
    checkedAt = performance.now();
    return stillAllowed();
  };
  try {
    yield 'retry: 3000\n: connected\n\n';
    for (const change of queue.changesSince(sent)) {
      // What happened before this client came is shown as of now; what came after is live, shared.
      yield change.seq > subscribedAt ? liveEventText(options.present, change) : formatChange(options.present, change);
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
      if (!(await allowed())) break;
      if (heartbeatDue) {
        heartbeatDue = false;
        yield ': heartbeat\n\n';
      }
      const change = buffered.shift();
      // Replay and live delivery overlap at the moment of connecting; each id goes out once.
      if (change !== undefined && change.seq > sent) {
        sent = change.seq;
        yield liveEventText(options.present, change);
      }
    }
  } finally {
    queue.off('change', onChange);
    clearInterval(heartbeat);
    signal.removeEventListener('abort', nudge);
  }
}
