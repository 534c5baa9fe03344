import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Gateway, SandboxPool, silentLogger } from '../src/index.js';

const toolsDir = resolve(__dirname, '../../sandbox/test/fixtures/tools');

describe('tools that run in the sandbox pool', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    const workerPool = await SandboxPool.start({ size: 2, toolsDir, timeoutMs: 2000, restartDelayMs: 10 });
    gateway = new Gateway({ logger: silentLogger, workerPool });
    const noArgs = z.object({}).strict();
    gateway
      .registerTool({ name: 'add', description: 'adds in a worker', args: z.object({ a: z.number(), b: z.number() }), run: { sandbox: 'pool', action: 'run' } })
      .registerTool({ name: 'echo', description: 'echo action', args: z.object({ text: z.string() }), run: { sandbox: 'pool', action: 'echo' } })
      .registerTool({ name: 'crash', description: 'crashes its worker', args: noArgs, run: { sandbox: 'pool', action: 'run' } })
      .registerTool({ name: 'hang', description: 'hangs', args: noArgs, run: { sandbox: 'pool', action: 'run', timeoutMs: 200 } })
      .registerTool({ name: 'read-file', description: 'reads a file', args: z.object({ path: z.string() }), run: { sandbox: 'pool', action: 'run' } })
      .registerTool({ name: 'in.docker', description: 'no runner configured', args: noArgs, run: { sandbox: 'docker', command: ['true'] } });
  });
  afterAll(async () => {
    await gateway.close();
  });

  it('runs the call in a worker and returns its result', async () => {
    await expect(gateway.callTool({ tool: 'add', args: { a: 20, b: 22 } })).resolves.toMatchObject({ status: 'executed', result: { sum: 42 } });
    await expect(gateway.callTool({ tool: 'echo', args: { text: 'hi' } })).resolves.toMatchObject({ result: { text: 'hi' } });
  });

  it('maps sandbox failures to clear errors without worker output: 502 crashed, 504 timeout, 422 tool error, 503 no runner', async () => {
    await expect(gateway.callTool({ tool: 'crash', args: {} })).rejects.toMatchObject({ status: 502, code: 'sandbox_failed' });
    await expect(gateway.callTool({ tool: 'hang', args: {} })).rejects.toMatchObject({ status: 504, code: 'sandbox_timeout' });
    await expect(gateway.callTool({ tool: 'read-file', args: { path: '/etc/passwd' } })).rejects.toMatchObject({
      status: 422,
      code: 'ERR_ACCESS_DENIED',
    });
    await expect(gateway.callTool({ tool: 'in.docker', args: {} })).rejects.toMatchObject({ status: 503, code: 'sandbox_unavailable' });
  });

  it('reports the pool on /health/worker and in the worker gauges, also after a crash', async () => {
    await gateway.callTool({ tool: 'crash', args: {} }).catch(() => undefined);
    let status = await gateway.workerHealth();
    for (let i = 0; i < 200 && !status.healthy; i += 1) {
      await new Promise((r) => setTimeout(r, 20));
      status = await gateway.workerHealth();
    }
    expect(status).toMatchObject({ healthy: true, alive: 2, size: 2 });
    const response = await gateway.handle({ method: 'GET', url: '/health/worker', headers: {}, body: { kind: 'none' } });
    expect(response && 'body' in response && JSON.parse(response.body)).toMatchObject({
      worker_healthy: true,
      pool: { mode: 'sandbox', size: 2, alive: 2, restarts: expect.any(Number), isolation: { permissionModel: true } },
    });
    const metrics = (await gateway.metrics.render()).body;
    expect(metrics).toMatch(/^worker_healthy 1$/m);
    expect(metrics).toMatch(/^worker_pool_alive 2$/m);
  });
});
