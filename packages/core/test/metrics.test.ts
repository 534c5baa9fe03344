import { describe, expect, it } from 'vitest';
import { Gateway, GATEWAY_METRIC_NAMES, RUNBOOK_METRIC_NAMES, silentLogger, type WorkerPool, type WorkerPoolStatus } from '../src/index.js';

class StubPool implements WorkerPool {
  constructor(public status: WorkerPoolStatus | Error) {}
  async health(): Promise<WorkerPoolStatus> {
    if (this.status instanceof Error) throw this.status;
    return this.status;
  }
}

function sample(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('GatewayMetrics', () => {
  it('registers every runbook metric, with the runbook type, before any value exists', async () => {
    const { body } = await new Gateway({ logger: silentLogger }).metrics.render();
    const types = Object.fromEntries([...body.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]));
    expect(types).toEqual({
      process_uptime_seconds: 'gauge',
      tool_calls_total: 'counter',
      tool_call_duration_seconds: 'histogram',
      tool_validation_errors_total: 'counter',
      approvals_queued_total: 'counter',
      worker_healthy: 'gauge',
      worker_pool_alive: 'gauge',
      worker_pool_size: 'gauge',
      scheduler_tasks_total: 'gauge',
      scheduler_runs_total: 'counter',
      scheduler_errors_total: 'counter',
      scheduler_run_duration_seconds: 'histogram',
      kill_switch_enabled: 'gauge',
      provider_key_expiry_seconds: 'gauge',
    });
    expect(Object.keys(types)).toHaveLength(RUNBOOK_METRIC_NAMES.length + GATEWAY_METRIC_NAMES.length);
  });

  it('process_uptime_seconds grows from when the gateway was made', async () => {
    const gateway = new Gateway({ logger: silentLogger });
    const first = sample((await gateway.metrics.render()).body, 'process_uptime_seconds');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = sample((await gateway.metrics.render()).body, 'process_uptime_seconds');
    expect(first).toBeGreaterThanOrEqual(0);
    expect(second).toBeGreaterThan(first ?? Infinity);
  });

  it('reads the worker gauges and /health/worker from the pool', async () => {
    const pool = new StubPool({ healthy: true, alive: 2, size: 2 });
    const gateway = new Gateway({ logger: silentLogger, workerPool: pool });
    let text = (await gateway.metrics.render()).body;
    expect([sample(text, 'worker_healthy'), sample(text, 'worker_pool_alive'), sample(text, 'worker_pool_size')]).toEqual([1, 2, 2]);

    pool.status = { healthy: false, alive: 1, size: 2 };
    text = (await gateway.metrics.render()).body;
    expect([sample(text, 'worker_healthy'), sample(text, 'worker_pool_alive'), sample(text, 'worker_pool_size')]).toEqual([0, 1, 2]);
    const response = await gateway.handle({ method: 'GET', url: '/health/worker', headers: {}, body: { kind: 'none' } });
    expect(response).toMatchObject({ status: 503 });
    expect(response && 'body' in response && JSON.parse(response.body)).toEqual({
      worker_healthy: false,
      pool: { mode: 'sandbox', size: 2, alive: 1 },
    });
  });

  it('reports a pool whose health check throws as unhealthy, not as an error', async () => {
    const gateway = new Gateway({ logger: silentLogger, workerPool: new StubPool(new Error('ping failed')) });
    const response = await gateway.handle({ method: 'GET', url: '/health/worker', headers: {}, body: { kind: 'none' } });
    expect(response).toMatchObject({ status: 503 });
    expect(sample((await gateway.metrics.render()).body, 'worker_healthy')).toBe(0);
  });

  it('can be limited to admins and approvers', async () => {
    const gateway = new Gateway({ logger: silentLogger, protectMetrics: true, auth: { passwordHashing: { logN: 4, r: 1, p: 1 } } });
    const system = { actor: { kind: 'system', id: 't' } } as const;
    await gateway.auth.createUser({ username: 'ops', password: 'ops-password', role: 'approver' }, system);
    await gateway.auth.createUser({ username: 'bot', password: 'bot-password', role: 'agent' }, system);
    const scrape = async (authorization?: string) =>
      gateway.handle({ method: 'GET', url: '/metrics', headers: authorization === undefined ? {} : { authorization }, body: { kind: 'none' } });
    expect(await scrape()).toMatchObject({ status: 401 });
    const bot = (await gateway.auth.login('bot', 'bot-password', { address: 't' })).accessToken;
    expect(await scrape(`Bearer ${bot}`)).toMatchObject({ status: 403 });
    const ops = (await gateway.auth.login('ops', 'ops-password', { address: 't' })).accessToken;
    expect(await scrape(`Bearer ${ops}`)).toMatchObject({ status: 200 });
  });
});
