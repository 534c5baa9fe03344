import { createHmac, randomUUID } from 'node:crypto';
import type { Logger } from '../logging/logger.js';
import { clampDelay } from '../timers/long-timeout.js';
import type { ApprovalChange, ApprovalQueue } from './approval-queue.js';

/** The longest wait between two attempts at one delivery. */
const MAX_BACKOFF_MS = 600_000;

/** Where approval changes are POSTed, signed with HMAC-SHA256: `new Gateway({ webhooks })`. */
export interface WebhookOptions {
  /** Where every approval change is POSTed. */
  readonly urls: readonly string[];
  /** Key of the HMAC-SHA256 signature in `x-agent-gateway-signature`. */
  readonly secret: string;
  /** Per attempt (at most Node's timer maximum, about 24.8 days). Default 5 s. */
  readonly timeoutMs?: number;
  /** Further attempts after a network error, 429 or 5xx. Default 3. */
  readonly retries?: number;
  /** First wait between attempts; doubles each time, up to 10 minutes. Default 500 ms. */
  readonly backoffMs?: number;
  /** Deliveries in flight at once; beyond it new ones are dropped (and logged). Default 100. */
  readonly maxInFlight?: number;
}

/**
 * The signature a receiver recomputes: HMAC-SHA256 over `<timestamp>.<body>` with the shared
 * secret, hex, as `sha256=<hex>`. The timestamp is signed so a captured delivery cannot be replayed later.
 */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * POSTs each approval change to the configured URLs, signed, with retries and a timeout. Runs beside
 * the queue: a slow or failing receiver never delays a decision.
 */
export function sendApprovalWebhooks(
  queue: ApprovalQueue,
  options: WebhookOptions,
  present: (change: ApprovalChange) => unknown,
  logger: Logger,
): () => void {
  const timeoutMs = clampDelay(options.timeoutMs ?? 5000, 1);
  const retries = options.retries ?? 3;
  const backoffMs = options.backoffMs ?? 500;
  const maxInFlight = options.maxInFlight ?? 100;
  let inFlight = 0;

  async function deliver(url: string, change: ApprovalChange, body: string): Promise<void> {
    const delivery = randomUUID();
    for (let attempt = 0; attempt <= retries; attempt += 1) {
      // Capped: doubling overflows the timer (and then fires at once) after about 22 retries.
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, clampDelay(Math.min(backoffMs * 2 ** (attempt - 1), MAX_BACKOFF_MS))).unref());
      const timestamp = String(Math.floor(Date.now() / 1000));
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-agent-gateway-event': change.type,
            'x-agent-gateway-delivery': delivery,
            'x-agent-gateway-timestamp': timestamp,
            'x-agent-gateway-signature': webhookSignature(options.secret, timestamp, body),
          },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        await response.body?.cancel();
        if (response.ok) return;
        if (response.status < 500 && response.status !== 429) {
          logger.warn('webhook refused an approval event; not retrying', { url, status: response.status, event: change.type });
          return;
        }
      } catch {
        // Network error or timeout: retried below.
      }
    }
    logger.error('webhook delivery failed after retries', { url, event: change.type, delivery });
  }

  const onChange = (change: ApprovalChange): void => {
    // The process that made the change sends it: one delivery per change, however many processes share the feed.
    if (change.remote === true) return;
    const body = JSON.stringify({ id: change.seq, event: change.type, approval: present(change) });
    for (const url of options.urls) {
      if (inFlight >= maxInFlight) {
        logger.error('too many webhook deliveries in flight; dropping one', { url, event: change.type });
        continue;
      }
      inFlight += 1;
      void deliver(url, change, body).finally(() => {
        inFlight -= 1;
      });
    }
  };
  queue.on('change', onChange);
  return () => queue.off('change', onChange);
}
