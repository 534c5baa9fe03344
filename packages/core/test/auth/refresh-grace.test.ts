import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { FileRevocationStore, Gateway, silentLogger, systemCaller, type TokenServiceOptions } from '../../src/index.js';

const FAST = { logN: 10, r: 8, p: 1 };
const system = { actor: systemCaller('test') };

/** A gateway on a clock the test moves, with one logged-in user. */
async function session(auth: Partial<TokenServiceOptions> = {}) {
  const clock = { now: Date.UTC(2026, 0, 1) };
  const gateway = new Gateway({ logger: silentLogger, auth: { passwordHashing: FAST, now: () => clock.now, ...auth } });
  await gateway.auth.createUser({ username: 'bot', password: 'bot-password', role: 'agent' }, system);
  const pair = await gateway.auth.login('bot', 'bot-password', { address: 'a' });
  return { clock, gateway, pair };
}

describe('the refresh grace window (issue 14, item 9)', () => {
  it('two parallel refreshes with the same token both succeed, with the same new pair', async () => {
    const { gateway, pair } = await session();
    const [a, b] = await Promise.all([gateway.auth.refresh(pair.refreshToken), gateway.auth.refresh(pair.refreshToken)]);
    expect(b).toEqual(a);
    await expect(gateway.auth.authenticate(a.accessToken)).resolves.toMatchObject({ id: 'bot' });
    // The session goes on: the new refresh token rotates as usual.
    await expect(gateway.auth.refresh(a.refreshToken)).resolves.toMatchObject({ tokenType: 'Bearer' });
  });

  it('a retry within the window gets the same pair; one after the window is a replay and revokes the family', async () => {
    const { clock, gateway, pair } = await session({ refreshGraceSeconds: 15 });
    const first = await gateway.auth.refresh(pair.refreshToken);
    clock.now += 14_000;
    await expect(gateway.auth.refresh(pair.refreshToken)).resolves.toEqual(first);
    clock.now += 2_000;
    await expect(gateway.auth.refresh(pair.refreshToken)).rejects.toMatchObject({ code: 'invalid_token', message: expect.stringMatching(/already used/) });
    await expect(gateway.auth.authenticate(first.accessToken)).rejects.toMatchObject({ message: 'token revoked' });
    await expect(gateway.auth.refresh(first.refreshToken)).rejects.toMatchObject({ code: 'invalid_token' });
  });

  it('once the new refresh token has been used, the old one is a replay even within the window', async () => {
    const { clock, gateway, pair } = await session();
    const first = await gateway.auth.refresh(pair.refreshToken);
    const second = await gateway.auth.refresh(first.refreshToken);
    clock.now += 1_000;
    await expect(gateway.auth.refresh(pair.refreshToken)).rejects.toMatchObject({ code: 'invalid_token' });
    await expect(gateway.auth.authenticate(second.accessToken)).rejects.toMatchObject({ message: 'token revoked' });
  });

  it.each([
    ['the session was revoked', (g: Gateway, token: string) => g.auth.revoke({ token }, system)],
    ['every token was revoked', (g: Gateway) => g.auth.revokeAll(system)],
    ['the user was deleted', (g: Gateway) => g.auth.deleteUser('bot', system).then(() => undefined)],
  ])('never after %s', async (_label, end) => {
    const { gateway, pair } = await session();
    await gateway.auth.refresh(pair.refreshToken);
    await end(gateway, pair.refreshToken);
    await expect(gateway.auth.refresh(pair.refreshToken)).rejects.toMatchObject({ status: 401, code: 'invalid_token' });
  });

  it('only for the same parent token: another login of the user is not involved', async () => {
    const { gateway, pair } = await session();
    const other = await gateway.auth.login('bot', 'bot-password', { address: 'a' });
    const a = await gateway.auth.refresh(pair.refreshToken);
    const b = await gateway.auth.refresh(other.refreshToken);
    expect(b.refreshToken).not.toBe(a.refreshToken);
  });

  it('holds with a file revocation store, whose writes let a parallel retry in before the first finishes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'grace-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const { gateway, pair } = await session({ revocationStore: await FileRevocationStore.open(join(dir, 'revocations.json')) });
    const results = await Promise.all([1, 2, 3].map(() => gateway.auth.refresh(pair.refreshToken)));
    expect(new Set(results.map((r) => r.refreshToken)).size).toBe(1);
    await expect(gateway.auth.authenticate(results[0]?.accessToken ?? '')).resolves.toMatchObject({ id: 'bot' });
  });

  it('refreshGraceSeconds: 0 turns it off', async () => {
    const { gateway, pair } = await session({ refreshGraceSeconds: 0 });
    await gateway.auth.refresh(pair.refreshToken);
    await expect(gateway.auth.refresh(pair.refreshToken)).rejects.toMatchObject({ code: 'invalid_token' });
  });
});
