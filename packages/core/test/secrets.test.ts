import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EnvSecretStore, envVariableFor, Gateway, silentLogger, systemCaller } from '../src/index.js';
import { scopedSecrets } from '../src/secrets/scoped-secrets.js';
import type { SecretStore } from '../src/secrets/secret-store.js';

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

describe('scoped secrets: what a tool may read, and what is scrubbed after', () => {
  /** The env store, counting the reads that reach it. */
  function countingStore(env: Record<string, string>): SecretStore & { reads: string[] } {
    const store = new EnvSecretStore(env);
    const reads: string[] = [];
    return {
      reads,
      get: (name) => {
        reads.push(name);
        return store.get(name);
      },
      list: () => store.list(),
    };
  }

  it('gives the declared secrets and refuses any other with 403, without asking the store', async () => {
    const store = countingStore({ OPENAI_API_KEY: 'sk-openai-value', ANTHROPIC_API_KEY: 'sk-anthropic-value' });
    const { accessor } = scopedSecrets(store, 'summarise', ['openai']);
    expect(await accessor.get('openai')).toBe('sk-openai-value');
    await expect(accessor.get('anthropic')).rejects.toMatchObject({ status: 403, code: 'secret_not_allowed', message: 'tool "summarise" did not declare the secret "anthropic"' });
    await expect(accessor.get('OPENAI')).rejects.toMatchObject({ code: 'secret_not_allowed' });
    expect(store.reads).toEqual(['openai']);
    await expect(scopedSecrets(store, 'none', []).accessor.get('openai')).rejects.toMatchObject({ status: 403 });
    expect(store.reads).toEqual(['openai']);
  });

  it("a declared secret the store lacks is the store's 404", async () => {
    const { accessor } = scopedSecrets(new EnvSecretStore({}), 'summarise', ['openai']);
    await expect(accessor.get('openai')).rejects.toMatchObject({ status: 404, code: 'secret_not_found' });
  });

  it('scrub replaces every occurrence of each value handed out, and only those', async () => {
    const scoped = scopedSecrets(new EnvSecretStore({ OPENAI_API_KEY: 'sk-one', GROQ_API_KEY: 'gsk-two', MISTRAL_API_KEY: 'never-read' }), 't', ['openai', 'groq', 'mistral']);
    const text = 'a sk-one b gsk-two c sk-one never-read';
    expect(scoped.scrub(text)).toBe(text);
    await scoped.accessor.get('openai');
    expect(scoped.scrub(text)).toBe('a [REDACTED] b gsk-two c [REDACTED] never-read');
    await scoped.accessor.get('groq');
    expect(scoped.scrub(text)).toBe('a [REDACTED] b [REDACTED] c [REDACTED] never-read');
    await expect(scoped.accessor.get('anthropic')).rejects.toMatchObject({ status: 403 });
    expect(scoped.scrub('')).toBe('');
  });

  it('values shorter than 4 characters are not scrubbed (they would blank ordinary text); 4 and more are', async () => {
    const scoped = scopedSecrets(new EnvSecretStore({ A_API_KEY: 'xyz', B_API_KEY: 'wxyz' }), 't', ['a', 'b']);
    expect(await scoped.accessor.get('a')).toBe('xyz');
    expect(scoped.scrub('xyz and wxyz')).toBe('xyz and wxyz');
    expect(await scoped.accessor.get('b')).toBe('wxyz');
    expect(scoped.scrub('xyz and wxyz')).toBe('xyz and [REDACTED]');
  });
});
