import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemCaller } from '@agent-gateway/core';
import { eventually, FAULTY_SERVER, killUpstreamProcess, startUpstreamGateway, stdio, type UpstreamGateway } from './support/upstream-gateway.js';

// A call that waits for an upstream to (re)start must stop waiting when its caller leaves: before,
// the wait for the connection ignored the call's signal and lasted the call's whole timeout (here a
// minute, past this test's own limit), holding the request and its slot after the client had gone.

let served: UpstreamGateway | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await served?.close();
  served = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function upstreamState(gateway: UpstreamGateway): Promise<{ state: string; pid?: number }> {
  const body = (await gateway.get('/health/upstreams')).json<{ upstreams: Array<{ name: string; state: string; pid?: number }> }>();
  const status = body.upstreams.find((upstream) => upstream.name === 'starting');
  if (status === undefined) throw new Error('no upstream "starting"');
  return status;
}

/**
 * A gateway whose upstream "starting" is up, then dies, and whose every new process never finishes its
 * start (it never answers initialize); its calls and handshakes may wait a minute.
 */
async function upstreamThatCannotRestart(): Promise<UpstreamGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'upstream-start-'));
  dirs.push(dir);
  const hang = join(dir, 'hang');
  served = await startUpstreamGateway([
    { name: 'starting', transport: stdio(FAULTY_SERVER, [`--hang-start-if=${hang}`]), timeoutMs: 60_000, connectTimeoutMs: 60_000, restart: { initialMs: 10, maxMs: 10 } },
  ]);
  const gateway = served;
  const { pid } = await upstreamState(gateway);
  writeFileSync(hang, '');
  killUpstreamProcess(pid);
  return gateway;
}

describe('a call waiting for its upstream to start', () => {
  it('ends as cancelled when its caller aborts, long before the call would time out', async () => {
    const gateway = await upstreamThatCannotRestart();
    await eventually(async () => (await upstreamState(gateway)).state !== 'up', 'the upstream to be seen down');

    const caller = new AbortController();
    const call = gateway.gateway.callTool({ tool: 'starting.echo', args: { text: 'x' } }, { caller: systemCaller('test'), signal: caller.signal });
    await eventually(async () => (await upstreamState(gateway)).state === 'starting', 'the restart to begin');
    caller.abort(new Error('the client went away'));
    await expect(call).rejects.toMatchObject({ status: 503, code: 'upstream_unavailable', message: expect.stringMatching(/cancelled/) });
  });

  it('an abort before the wait began is seen too (the signal is checked, not only listened to)', async () => {
    const gateway = await upstreamThatCannotRestart();
    await eventually(async () => (await upstreamState(gateway)).state !== 'up', 'the upstream to be seen down');
    const call = gateway.gateway.callTool({ tool: 'starting.echo', args: { text: 'x' } }, { caller: systemCaller('test'), signal: AbortSignal.abort(new Error('gone already')) });
    await expect(call).rejects.toMatchObject({ status: 503, message: expect.stringMatching(/cancelled/) });
  });

  it('closing the gateway ends a handshake that would never finish, instead of waiting out the connect timeout', async () => {
    const gateway = await upstreamThatCannotRestart();
    await eventually(async () => (await upstreamState(gateway)).state === 'starting', 'the restart to begin');
    served = undefined;
    await gateway.close();
  });
});
