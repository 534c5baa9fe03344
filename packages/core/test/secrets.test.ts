import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EnvSecretStore, envVariableFor, Gateway, silentLogger, systemCaller } from '../src/index.js';

describe('provider secrets', () => {
  it('the env store reads <NAME>_API_KEY and lists providers without values', async () => {
    const store = new EnvSecretStore({ OPENAI_API_KEY: 'sk-env-1', GOOGLE_AI_API_KEY: 'g-2', EMPTY_API_KEY: '', PATH: '/bin' });
    expect(envVariableFor('google-ai')).toBe('GOOGLE_AI_API_KEY');
    expect((await store.get('openai')).value.reveal()).toBe('sk-env-1');
    expect(`${(await store.get('openai')).value}`).toBe('[REDACTED]');
    await expect(store.get('empty')).rejects.toMatchObject({ status: 404, code: 'secret_not_found' });
    await expect(store.get('../etc')).rejects.toMatchObject({ status: 404 });
    expect(await store.list()).toEqual([
      { name: 'google-ai', source: 'env' },
      { name: 'openai', source: 'env' },
    ]);
  });

  it('GET /admin/providers lists providers for admins, never a value', async () => {
    const gateway = new Gateway({
      logger: silentLogger,
      secrets: new EnvSecretStore({ OPENAI_API_KEY: 'sk-env-secret-value' }),
      auth: { passwordHashing: { logN: 10, r: 8, p: 1 } },
    }).registerTool({ name: 'noop', description: 'n', args: z.object({}), run: () => null });
    await gateway.auth.createUser({ username: 'root', password: 'root-password', role: 'admin' }, { actor: systemCaller('t') });
    const token = (await gateway.auth.login('root', 'root-password', { address: 't' })).accessToken;
    const response = await gateway.handle({ method: 'GET', url: '/admin/providers', headers: { authorization: `Bearer ${token}` }, body: { kind: 'none' } });
    expect(response && 'body' in response && JSON.parse(response.body)).toEqual({ providers: [{ name: 'openai', source: 'env' }] });
    expect(response && 'body' in response && response.body).not.toContain('sk-env-secret-value');
  });
});
