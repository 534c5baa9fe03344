import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { AuditLog, createJsonLogger, EnvSecretStore, Gateway, MAX_TIMER_DELAY_MS, type Logger } from '@agent-gateway/core';
import { VaultSecretStore, type VaultSecretStoreOptions } from '../src/index.js';
import { FakeVault } from './fake-vault.js';

const KEY = 'sk-openai-live-0123456789abcdef';

describe('VaultSecretStore against a KV v2 server', () => {
  let vault: FakeVault;
  let lines: string[];
  let logger: Logger;
  const stores: VaultSecretStore[] = [];
  const store = (options: Partial<VaultSecretStoreOptions> = {}) => {
    const created = new VaultSecretStore({ address: vault.url, token: vault.token, timeoutMs: 500, logger, ...options });
    stores.push(created);
    return created;
  };

  beforeEach(async () => {
    vault = new FakeVault();
    await vault.start();
    vault.put('openai', { api_key: KEY, expires_at: new Date(Date.now() + 86_400_000).toISOString() });
    vault.put('anthropic', { api_key: 'sk-ant-first' });
    lines = [];
    logger = createJsonLogger((line) => lines.push(line));
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await vault.stop();
  });

  it('reads a key with its version, rotation time and expiry, from <mount>/data/<prefix>/<provider>', async () => {
    const secret = await store().get('openai');
    expect(secret.value.reveal()).toBe(KEY);
    expect(secret).toMatchObject({ source: 'vault', version: 1, rotatedAt: expect.any(String), expiresAt: expect.any(String) });
    expect(vault.calls).toContain('GET /v1/secret/data/intelli/providers/openai');
    await expect(store().get('missing')).rejects.toMatchObject({ status: 404, code: 'secret_not_found' });
  });

  it('lists providers from the metadata endpoint, without values', async () => {
    const providers = await store().list();
    expect(providers.map((p) => p.name)).toEqual(['anthropic', 'openai']);
    expect(providers[1]).toMatchObject({ source: 'vault', version: 1, createdAt: expect.any(String), expiresAt: expect.any(String) });
    expect(JSON.stringify(providers)).not.toContain(KEY);
    expect(vault.calls).toContain('GET /v1/secret/metadata/intelli/providers?list=true');
  });

  it('rotates with check-and-set: a stale version is a 409 and writes nothing', async () => {
    const s = store();
    expect((await s.get('anthropic')).value.reveal()).toBe('sk-ant-first');
    vault.put('anthropic', { api_key: 'sk-ant-second' }); // someone else rotated it meanwhile
    await expect(s.set('anthropic', 'sk-ant-mine', { expectedVersion: 1 })).rejects.toMatchObject({ status: 409, code: 'conflict' });
    expect(vault.secrets.get('anthropic')).toHaveLength(2);
    const info = await s.set('anthropic', 'sk-ant-third', { expectedVersion: 2 });
    expect(info).toMatchObject({ name: 'anthropic', version: 3 });
    expect((await s.get('anthropic')).value.reveal()).toBe('sk-ant-third');
  });

  it('serves reads from its cache until the TTL passes', async () => {
    let now = Date.now();
    const s = store({ cacheTtlMs: 60_000, now: () => now });
    await s.get('anthropic');
    vault.put('anthropic', { api_key: 'sk-ant-new' });
    expect((await s.get('anthropic')).value.reveal()).toBe('sk-ant-first');
    now += 61_000;
    expect((await s.get('anthropic')).value.reveal()).toBe('sk-ant-new');
  });

  it('renews a renewable token before it expires', async () => {
    vault.tokenExpiresAt = Date.now() + 1500;
    vault.tokenTtlSeconds = 2;
    const s = store({ renewAt: 0.01 });
    await s.start();
    for (let i = 0; i < 200 && vault.renewals === 0; i += 1) await new Promise((r) => setTimeout(r, 10));
    expect(vault.renewals).toBeGreaterThanOrEqual(1);
    expect(vault.calls).toContain('POST /v1/auth/token/renew-self');
  });

  it('a token that lives 100 days is renewed within the timer maximum, not in a loop (#14.1)', async () => {
    vault.tokenExpiresAt = Date.now() + 100 * 86_400_000;
    const spy = vi.spyOn(globalThis, 'setTimeout');
    try {
      await store().start();
      const delays = spy.mock.calls.map(([, delay]) => Number(delay));
      expect(delays.length).toBeGreaterThan(0);
      expect(Math.max(...delays)).toBe(MAX_TIMER_DELAY_MS);
    } finally {
      spy.mockRestore();
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(vault.renewals).toBe(0);
  });

  it('says clearly when the token is bad or the policy refuses (no fallback hides it)', async () => {
    await expect(store({ token: 'hvs.wrong' }).get('openai')).rejects.toMatchObject({ code: 'vault_forbidden', message: expect.stringMatching(/bad token or a policy/) });
    vault.tokenExpiresAt = Date.now() - 1;
    await expect(store().get('openai')).rejects.toMatchObject({ code: 'vault_forbidden' });
  });

  describe('when Vault is unreachable', () => {
    const env = new EnvSecretStore({ OPENAI_API_KEY: 'sk-from-env' });

    it.each([
      ['answers 500', (v: FakeVault) => (v.mode = 'error500')],
      ['hangs (timeout)', (v: FakeVault) => (v.mode = 'hang')],
    ])('falls back per key to the environment when it %s, saying so', async (_label, breakIt) => {
      breakIt(vault);
      const secret = await store({ fallback: env, timeoutMs: 200 }).get('openai');
      expect(secret.value.reveal()).toBe('sk-from-env');
      expect(secret.source).toBe('env (vault unreachable)');
    });

    it('falls back when the connection is refused, and reports it on health', async () => {
      const s = store({ fallback: env });
      await vault.stop();
      expect((await s.get('openai')).source).toBe('env (vault unreachable)');
      expect(await s.health()).toEqual({ vault: 'unreachable' });
      vault = new FakeVault();
      await vault.start();
    });

    it('fails closed when told to', async () => {
      vault.mode = 'error500';
      await expect(store({ fallback: env, onUnreachable: 'fail-closed' }).get('openai')).rejects.toMatchObject({ status: 503, code: 'vault_unreachable' });
      vault.mode = 'hang';
      await expect(store({ fallback: env, onUnreachable: 'fail-closed', timeoutMs: 200 }).get('openai')).rejects.toMatchObject({ status: 503, code: 'vault_unreachable' });
    });
  });

  it('through a gateway: tools get only their declared keys; the value never reaches logs, audit, errors or metrics', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vault-gateway-'));
    try {
      const audit = await AuditLog.open(join(dir, 'audit.log'));
      const secrets = store();
      const gateway = new Gateway({ logger, audit, secrets })
        .registerTool({
          name: 'llm.ask',
          description: 'uses the openai key',
          args: z.object({}),
          secrets: ['openai'],
          run: async (_args, { secrets: keys }) => ({ keyLength: (await keys.get('openai')).length }),
        })
        .registerTool({
          name: 'sneaky',
          description: 'asks for a key it did not declare',
          args: z.object({}),
          run: async (_args, { secrets: keys }) => keys.get('openai'),
        })
        .registerTool({
          name: 'leaky',
          description: 'throws with the key in the message',
          args: z.object({}),
          secrets: ['openai'],
          run: async (_args, { secrets: keys }) => {
            throw new Error(`failed with ${await keys.get('openai')}`);
          },
        });
      await expect(gateway.callTool({ tool: 'llm.ask', args: {} })).resolves.toMatchObject({ result: { keyLength: KEY.length } });
      await expect(gateway.callTool({ tool: 'sneaky', args: {} })).rejects.toMatchObject({ status: 403, code: 'secret_not_allowed' });
      const leak = await gateway.callTool({ tool: 'leaky', args: {} }).catch((e: unknown) => e);
      expect(JSON.stringify((leak as { toJSON(): unknown }).toJSON())).not.toContain(KEY);

      const providers = await gateway.handle({ method: 'GET', url: '/health', headers: {}, body: { kind: 'none' } });
      expect(providers && 'body' in providers && JSON.parse(providers.body)).toEqual({ status: 'ok', vault: 'ok' });
      const metrics = (await gateway.metrics.render()).body;
      expect(metrics).toMatch(/^provider_key_expiry_seconds\{provider="openai"\} \d+$/m);
      expect(metrics).not.toContain(KEY);
      await gateway.close();
      // Even the error of the tool that put the key into its message is logged with the key scrubbed.
      expect(lines.some((l) => l.includes('"tool threw"') && l.includes('failed with [REDACTED]'))).toBe(true);
      const written = (await readFile(join(dir, 'audit.log'), 'utf8')) + lines.join('');
      expect(written).not.toContain(KEY);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
