import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectBwrap } from '@agent-gateway/sandbox';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { eventually, FAULTY_SERVER, processesMentioning, startUpstreamGateway, stdio, type UpstreamGateway } from './support/upstream-gateway.js';

const bwrap = detectBwrap();
if (!bwrap.usable) process.stdout.write(`skipping the bubblewrap upstream tests: ${bwrap.reason ?? 'bubblewrap is not usable'}\n`);

const textOf = (result: CallToolResult) => result.content.map((block) => (block.type === 'text' ? block.text : '')).join('');

describe.runIf(bwrap.usable)('a stdio upstream in a bubblewrap sandbox', () => {
  let dir = '';
  let writable = '';
  let elsewhere = '';
  let served: UpstreamGateway;
  const marker = `--marker=${randomUUID()}`;

  beforeAll(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'sandboxed-upstream-')));
    writable = join(dir, 'writable');
    // Outside /tmp (which the sandbox replaces with its own), so that what stops the write is the read-only file system.
    elsewhere = join(fileURLToPath(new URL('../../.tmp/', import.meta.url)), randomUUID());
    await mkdir(writable);
    await mkdir(elsewhere, { recursive: true });
    served = await startUpstreamGateway([
      // write_at is not read-only, so it would be held; these tests are about the sandbox.
      { name: 'boxed', transport: stdio(FAULTY_SERVER, [marker]), sandbox: { writable: [writable] }, approval: { exempt: ['write_at'] } },
      { name: 'free', transport: stdio(FAULTY_SERVER), approval: { exempt: ['write_at'] } },
    ]);
  }, 60_000);
  afterAll(async () => {
    await served?.close();
    await rm(dir, { recursive: true, force: true });
    await rm(elsewhere, { recursive: true, force: true });
  });

  const result = async (tool: string, args: unknown) => {
    const response = await served.call(tool, args);
    expect(response.status, response.text).toBe(200);
    return response.json<{ result: CallToolResult }>().result;
  };

  it('runs confined, and says so on /health/upstreams', async () => {
    const health = (await served.get('/health/upstreams')).json<{ upstreams: Array<{ name: string; isolation: string; state: string }> }>();
    expect(health.upstreams.find((upstream) => upstream.name === 'boxed')).toMatchObject({ state: 'up', isolation: 'bubblewrap' });
    expect(health.upstreams.find((upstream) => upstream.name === 'free')).toMatchObject({ isolation: 'none' });
  });

  it('writes only where it was allowed to', async () => {
    expect(textOf(await result('boxed.write_at', { path: join(writable, 'ok.txt') }))).toBe('written');
    expect(existsSync(join(writable, 'ok.txt'))).toBe(true);
    const refused = await result('boxed.write_at', { path: join(elsewhere, 'no.txt') });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toBe('EROFS');
    expect(existsSync(join(elsewhere, 'no.txt'))).toBe(false);
    // The same server unconfined could: the sandbox is what stopped it.
    expect(textOf(await result('free.write_at', { path: join(elsewhere, 'free.txt') }))).toBe('written');
  });

  it('has no network: the gateway on loopback cannot be reached from inside', async () => {
    const port = Number(new URL(served.baseUrl).port);
    const boxed = await result('boxed.connect', { port });
    expect(boxed.isError).toBe(true);
    expect(textOf(await result('free.connect', { port }))).toBe('connected');
  });

  it('leaves nothing behind when the gateway closes', async () => {
    expect(processesMentioning(marker).length).toBeGreaterThan(0);
    await served.close();
    await eventually(() => processesMentioning(marker).length === 0, 'no sandboxed process to be left');
  });
});
