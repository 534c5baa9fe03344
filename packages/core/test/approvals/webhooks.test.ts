import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configFromEnv, Gateway, silentLogger, systemCaller, webhookSignature, type Caller } from '../../src/index.js';

interface Delivery {
  headers: IncomingMessage['headers'];
  body: string;
}

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

/** A receiver on loopback that answers with the statuses given, in turn (then 200), or never. */
async function receiver(statuses: Array<number | 'hang'>): Promise<{ url: string; deliveries: Delivery[] }> {
  const deliveries: Delivery[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      deliveries.push({ headers: req.headers, body });
      const status = statuses.shift() ?? 200;
      if (status === 'hang') return;
      res.writeHead(status).end();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, deliveries };
}

// A host job: the gateway trusts in-process callers, so no user has to exist for the run.
const agent: Caller = systemCaller('host-job');
const secret = 'webhook-secret-0123456789';

function gatewayWith(urls: string[], extra: { timeoutMs?: number } = {}) {
  return new Gateway({
    logger: silentLogger,
    webhooks: { urls, secret, backoffMs: 10, ...extra },
  }).registerTool({ name: 'risky', description: 'r', args: z.object({ password: z.string().optional() }), requiresApproval: true, run: () => 'ran' });
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !check(); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(check()).toBe(true);
}

describe('approval webhooks', () => {
  it('POSTs every change, signed with HMAC-SHA256 over timestamp and body, secrets redacted', async () => {
    const hook = await receiver([]);
    const gateway = gatewayWith([hook.url]);
    const outcome = await gateway.callTool({ tool: 'risky', args: { password: 'p4ss' } }, { caller: agent });
    if (outcome.status !== 'pending') throw new Error('not held');
    await gateway.approvals.approve(outcome.approvalId, systemCaller('reviewer'));
    await until(() => hook.deliveries.length === 3);
    const events = hook.deliveries.map((d) => d.headers['x-agent-gateway-event']);
    expect(events.sort()).toEqual(['approval.approved', 'approval.executed', 'approval.requested']);
    for (const delivery of hook.deliveries) {
      const timestamp = String(delivery.headers['x-agent-gateway-timestamp']);
      expect(delivery.headers['x-agent-gateway-signature']).toBe(webhookSignature(secret, timestamp, delivery.body));
      expect(delivery.body).not.toContain('p4ss');
    }
    expect(JSON.parse(hook.deliveries[0]?.body ?? '{}')).toMatchObject({ approval: { id: outcome.approvalId, tool: 'risky' } });
    await gateway.close();
  });

  it('retries a 5xx with the same delivery id, and does not retry a 4xx', async () => {
    const flaky = await receiver([503, 500]);
    const refusing = await receiver([400]);
    const gateway = gatewayWith([flaky.url, refusing.url]);
    await gateway.callTool({ tool: 'risky', args: {} }, { caller: agent });
    await until(() => flaky.deliveries.length === 3);
    expect(new Set(flaky.deliveries.map((d) => d.headers['x-agent-gateway-delivery'])).size).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(refusing.deliveries).toHaveLength(1);
    await gateway.close();
  });

  it('a receiver that never answers does not hold up decisions', async () => {
    const hanging = await receiver(['hang', 'hang', 'hang', 'hang', 'hang', 'hang']);
    const gateway = gatewayWith([hanging.url], { timeoutMs: 60_000 });
    const outcome = await gateway.callTool({ tool: 'risky', args: {} }, { caller: agent });
    if (outcome.status !== 'pending') throw new Error('not held');
    await expect(gateway.approvals.approve(outcome.approvalId, systemCaller('reviewer'))).resolves.toMatchObject({ state: 'executed' });
    await gateway.close();
  });

  it('configFromEnv needs a secret with the URLs and checks them', () => {
    expect(() => configFromEnv({ AGENT_GATEWAY_ADMIN_PASS: 'x', AGENT_GATEWAY_WEBHOOK_URLS: 'https://hooks.example/a' })).toThrow(
      /AGENT_GATEWAY_WEBHOOK_SECRET: is required when AGENT_GATEWAY_WEBHOOK_URLS is set/,
    );
    expect(() => configFromEnv({ AGENT_GATEWAY_ADMIN_PASS: 'x', AGENT_GATEWAY_WEBHOOK_URLS: 'not a url', AGENT_GATEWAY_WEBHOOK_SECRET: secret })).toThrow(
      /AGENT_GATEWAY_WEBHOOK_URLS/,
    );
    const config = configFromEnv({
      AGENT_GATEWAY_ADMIN_PASS: 'x',
      AGENT_GATEWAY_WEBHOOK_URLS: 'https://a.example/h, https://b.example/h',
      AGENT_GATEWAY_WEBHOOK_SECRET: secret,
    });
    expect(config.approvals.webhookUrls).toEqual(['https://a.example/h', 'https://b.example/h']);
  });
});
