import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { startHttpEverything, stopChild } from './support/everything-http.js';
import { eventually, startUpstreamGateway, type UpstreamGateway } from './support/upstream-gateway.js';

describe('an HTTP upstream that goes away and comes back', () => {
  let served: UpstreamGateway | undefined;
  let server: ChildProcess | undefined;
  afterAll(async () => {
    await served?.close();
    if (server !== undefined) await stopChild(server);
  });

  it('fails its calls with 503 while it is gone, and reconnects (a new session) once it is back', async () => {
    const first = await startHttpEverything();
    server = first.child;
    served = await startUpstreamGateway([{ name: 'remote', transport: { kind: 'http', url: first.url }, restart: { initialMs: 50, maxMs: 200 } }]);
    expect((await served.call('remote.echo', { message: 'before' })).status).toBe(200);

    await stopChild(first.child);
    const during = await served.call('remote.echo', { message: 'during' });
    expect(during.status, during.text).toBe(503);
    expect(during.json<{ error: { code: string } }>().error.code).toBe('upstream_unavailable');

    server = (await startHttpEverything(first.port)).child;
    const gateway = served;
    await eventually(async () => (await gateway.call('remote.echo', { message: 'after' })).status === 200, 'the upstream to be reconnected');
    const health = (await gateway.get('/health/upstreams')).json<{ upstreams: Array<{ state: string; restarts: number }> }>();
    expect(health.upstreams[0]?.state).toBe('up');
    expect(health.upstreams[0]?.restarts).toBeGreaterThanOrEqual(1);
  });
});
