import { createHmac } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ApprovalChange } from '../../src/approvals/approval-events.js';
import type { ApprovalQueue } from '../../src/approvals/approval-queue.js';
import { sendApprovalWebhooks, webhookSignature, type WebhookOptions } from '../../src/approvals/approval-webhooks.js';
import type { Logger } from '../../src/logging/logger.js';

// The webhook sender on its own (issue 24, mutation testing): what each delivery carries, which answers
// are retried and how often, what is logged, the bound on deliveries in flight, and that changes made
// by another process or after unsubscribing are not sent. Real HTTP on loopback; the queue is reduced to
// the one event the sender listens to.
interface Delivery {
  headers: IncomingMessage['headers'];
  body: string;
}

const servers: Server[] = [];
const stops: Array<() => void> = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

async function receiver(statuses: Array<number | 'hang'>): Promise<{ url: string; deliveries: Delivery[] }> {
  const deliveries: Delivery[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      deliveries.push({ headers: req.headers, body });
      const status = statuses.shift() ?? 200;
      if (status !== 'hang') res.writeHead(status).end();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, deliveries };
}

function recordingLogger(): Logger & { lines: Array<[string, string, unknown]> } {
  const lines: Array<[string, string, unknown]> = [];
  return { lines, info: (m, f) => lines.push(['info', m, f]), warn: (m, f) => lines.push(['warn', m, f]), error: (m, f) => lines.push(['error', m, f]) };
}

// Taken before any test fakes setTimeout, so waiting for the receiver stays in real time.
const realSetTimeout = globalThis.setTimeout;
const pause = (ms: number) => new Promise((resolve) => realSetTimeout(resolve, ms));

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !check(); i += 1) await pause(10);
  expect(check()).toBe(true);
}

const secret = 'webhook-secret-0123456789';
const change = (seq: number, extra: Partial<ApprovalChange> = {}): ApprovalChange => ({ seq, type: 'approval.requested', approval: { id: `ap-${seq}` } as ApprovalChange['approval'], ...extra });

function sender(options: Partial<WebhookOptions> & { urls: string[] }, logger: Logger = recordingLogger()) {
  const queue = new EventEmitter();
  const stop = sendApprovalWebhooks(queue as unknown as ApprovalQueue, { secret, backoffMs: 1, ...options }, (c) => ({ id: c.approval.id, shown: true }), logger);
  stops.push(stop);
  return { emit: (c: ApprovalChange) => queue.emit('change', c), stop, queue };
}

describe('webhook deliveries', () => {
  it('the signature is HMAC-SHA256 over "<timestamp>.<body>", hex, after sha256=', () => {
    const expected = createHmac('sha256', secret).update('1700000000.{"a":1}').digest('hex');
    expect(webhookSignature(secret, '1700000000', '{"a":1}')).toBe(`sha256=${expected}`);
  });

  it('POSTs JSON with the event, a delivery id, the current timestamp and its signature; the body is id, event and the presented approval', async () => {
    const hook = await receiver([]);
    const { emit } = sender({ urls: [hook.url] });
    const before = Math.floor(Date.now() / 1000);
    emit(change(7));
    await until(() => hook.deliveries.length === 1);
    const after = Math.floor(Date.now() / 1000);
    const [delivery] = hook.deliveries;
    if (delivery === undefined) throw new Error('no delivery');
    expect(JSON.parse(delivery.body)).toEqual({ id: 7, event: 'approval.requested', approval: { id: 'ap-7', shown: true } });
    expect(delivery.headers['content-type']).toBe('application/json');
    expect(delivery.headers['x-agent-gateway-event']).toBe('approval.requested');
    expect(delivery.headers['x-agent-gateway-delivery']).toMatch(/^[0-9a-f-]{36}$/);
    const timestamp = Number(delivery.headers['x-agent-gateway-timestamp']);
    expect(timestamp).toBeGreaterThanOrEqual(before);
    expect(timestamp).toBeLessThanOrEqual(after);
    expect(delivery.headers['x-agent-gateway-signature']).toBe(webhookSignature(secret, String(timestamp), delivery.body));
  });

  it('retries 429 and 5xx (3 times by default, then logs the failure), and a 4xx is logged and not retried', async () => {
    const limited = await receiver([429]);
    const failing = await receiver([500, 502, 503, 504, 500]);
    const refusing = await receiver([404]);
    const logger = recordingLogger();
    const { emit } = sender({ urls: [limited.url, failing.url, refusing.url] }, logger);
    emit(change(1));
    await until(() => limited.deliveries.length === 2 && failing.deliveries.length === 4 && logger.lines.length === 2);
    expect(refusing.deliveries).toHaveLength(1);
    const delivery = failing.deliveries[0]?.headers['x-agent-gateway-delivery'];
    expect(new Set(failing.deliveries.map((d) => d.headers['x-agent-gateway-delivery']))).toEqual(new Set([delivery]));
    expect(logger.lines).toEqual(
      expect.arrayContaining([
        ['warn', 'webhook refused an approval event; not retrying', { url: refusing.url, status: 404, event: 'approval.requested' }],
        ['error', 'webhook delivery failed after retries', { url: failing.url, event: 'approval.requested', delivery }],
      ]),
    );
  });

  it('makes exactly 1 + retries attempts', async () => {
    const failing = await receiver([500, 500, 500, 500]);
    const logger = recordingLogger();
    const { emit } = sender({ urls: [failing.url], retries: 1 }, logger);
    emit(change(1));
    await until(() => logger.lines.length === 1);
    expect(failing.deliveries).toHaveLength(2);
  });

  it('a receiver that does not answer within the timeout counts as a failure', async () => {
    const hanging = await receiver(['hang', 'hang']);
    const logger = recordingLogger();
    const { emit } = sender({ urls: [hanging.url], retries: 1, timeoutMs: 50 }, logger);
    emit(change(1));
    await until(() => logger.lines.length === 1);
    expect(hanging.deliveries).toHaveLength(2);
    expect(logger.lines[0]?.[1]).toBe('webhook delivery failed after retries');
  });

  it('beyond maxInFlight a delivery is dropped and logged; a finished one frees its place', async () => {
    const hook = await receiver(['hang']);
    const logger = recordingLogger();
    const { emit } = sender({ urls: [hook.url], retries: 0, timeoutMs: 300, maxInFlight: 1 }, logger);
    emit(change(1));
    emit(change(2));
    expect(logger.lines).toEqual([['error', 'too many webhook deliveries in flight; dropping one', { url: hook.url, event: 'approval.requested' }]]);
    await until(() => logger.lines.length === 2); // the first one times out
    await new Promise((resolve) => setTimeout(resolve, 0));
    emit(change(3));
    await until(() => hook.deliveries.length === 2);
    expect(hook.deliveries.map((d) => (JSON.parse(d.body) as { id: number }).id)).toEqual([1, 3]);
  });

  it("sends nothing for another process's change, nor after it was stopped", async () => {
    const hook = await receiver([]);
    const { emit, stop, queue } = sender({ urls: [hook.url] });
    emit(change(1, { remote: true }));
    emit(change(2));
    await until(() => hook.deliveries.length === 1);
    expect(JSON.parse(hook.deliveries[0]?.body ?? '{}')).toMatchObject({ id: 2 });
    stop();
    expect(queue.listenerCount('change')).toBe(0);
  });

  it('a 2xx without a body (204) is delivered once, not retried as a failure', async () => {
    const hook = await receiver([204]);
    const logger = recordingLogger();
    const { emit } = sender({ urls: [hook.url] }, logger);
    emit(change(1));
    await until(() => hook.deliveries.length === 1);
    await pause(100);
    expect(hook.deliveries).toHaveLength(1);
    expect(logger.lines).toEqual([]);
  });

  it('waits backoffMs before the first retry and doubles it for each one after; the first attempt does not wait', async () => {
    // The sender's own waits are recorded by their delay and run at once; every other timer (fetch's) is left alone.
    const waits: number[] = [];
    const spy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((callback: () => void, delay?: number) => {
      if (!new Error().stack?.includes('approval-webhooks')) return realSetTimeout(callback, delay);
      waits.push(delay ?? 0);
      return realSetTimeout(callback, 0);
    }) as typeof setTimeout);
    try {
      const failing = await receiver([500, 500, 500, 500]);
      const logger = recordingLogger();
      const { emit } = sender({ urls: [failing.url], backoffMs: 1234, retries: 3 }, logger);
      emit(change(1));
      await until(() => logger.lines.length === 1);
      expect(failing.deliveries).toHaveLength(4);
      expect(waits).toEqual([1234, 2468, 4936]);
    } finally {
      spy.mockRestore();
    }
  });
});
