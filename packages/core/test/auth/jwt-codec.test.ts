import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { JwtCodec, type TokenClaims } from '../../src/auth/jwt-codec.js';
import { InvalidTokenError } from '../../src/index.js';

const SECRET = 'a-test-secret-of-exactly-32-byte';
const ISSUER = 'https://gateway.test';
const START = Date.UTC(2026, 0, 1);
const CLAIMS = { sub: 'alice', uid: 'u-1', role: 'agent', typ: 'access', fam: 'f-1', ver: 0, gen: 0 } as const;

function codecAt(clock: { now: number }, secret: string | Uint8Array = SECRET): JwtCodec {
  return new JwtCodec({ key: { algorithm: 'HS256', secret }, issuer: ISSUER, audience: ISSUER, now: () => clock.now });
}

/** A token signed with the codec's own key, issuer and audience, carrying exactly `claims`. */
async function forge(claims: Record<string, unknown>, header: { alg: string } = { alg: 'HS256' }): Promise<string> {
  return new SignJWT(claims).setProtectedHeader(header).setIssuer(ISSUER).setAudience(ISSUER).sign(new TextEncoder().encode(SECRET));
}

describe('JwtCodec', () => {
  it('refuses an HS256 secret of 31 bytes, as text or as bytes, and takes one of 32', () => {
    expect(SECRET).toHaveLength(32);
    const clock = { now: START };
    expect(() => codecAt(clock, SECRET.slice(1))).toThrow(new RangeError('an HS256 secret must be at least 32 bytes'));
    expect(() => codecAt(clock, new Uint8Array(31))).toThrow(RangeError);
    // Bytes, not characters: 16 two-byte characters are 32 bytes.
    expect(() => codecAt(clock, 'é'.repeat(16))).not.toThrow();
    expect(() => codecAt(clock, 'é'.repeat(15) + 'e')).toThrow(RangeError);
    expect(codecAt(clock, new Uint8Array(32)).algorithm).toBe('HS256');
  });

  it('signs the claims it is given, with an id, an issue time and an expiry ttl seconds later', async () => {
    const clock = { now: START + 999 };
    const codec = codecAt(clock);
    const { token, claims } = await codec.sign(CLAIMS, 600);
    expect(claims).toMatchObject({ ...CLAIMS, iat: START / 1000, exp: START / 1000 + 600 });
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    await expect(codecAt(clock).verify(token, 'access')).resolves.toEqual(claims);
    const [header] = token.split('.');
    expect(JSON.parse(Buffer.from(header ?? '', 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT' });
  });

  it('refuses a token that lacks any of sub, jti, iat or exp, though its signature is good', async () => {
    const clock = { now: START };
    const iat = START / 1000;
    const full = { ...CLAIMS, sub: 'alice', jti: 'j-1', iat, exp: iat + 600 };
    await expect(codecAt(clock).verify(await forge(full), 'access')).resolves.toMatchObject({ jti: 'j-1' });
    for (const claim of ['sub', 'jti', 'iat', 'exp'] as const) {
      const { [claim]: _left, ...rest } = full;
      await expect(codecAt(clock).verify(await forge(rest), 'access'), claim).rejects.toBeInstanceOf(InvalidTokenError);
    }
  });

  it('refuses another algorithm, issuer or audience, and a token from the future', async () => {
    const clock = { now: START };
    const iat = START / 1000;
    const claims = { ...CLAIMS, jti: 'j-2', iat, exp: iat + 600 };
    const other = new TextEncoder().encode(SECRET);
    const tokens = [
      await new SignJWT(claims).setProtectedHeader({ alg: 'HS512' }).setIssuer(ISSUER).setAudience(ISSUER).sign(other),
      await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuer('https://elsewhere.test').setAudience(ISSUER).sign(other),
      await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISSUER).setAudience('https://elsewhere.test').sign(other),
    ];
    for (const token of tokens) await expect(codecAt(clock).verify(token, 'access')).rejects.toThrow(new InvalidTokenError('invalid token'));
    // Issued 6 s ahead of this clock: past the 5 s allowance. 5 s ahead is within it.
    await expect(codecAt(clock).verify(await forge({ ...claims, iat: iat + 6 }), 'access')).rejects.toThrow('token not yet valid');
    await expect(codecAt(clock).verify(await forge({ ...claims, iat: iat + 5 }), 'access')).resolves.toMatchObject({ jti: 'j-2' });
  });

  it('a token verified before (and cached) stops working when it expires, at the same moment as one never seen', async () => {
    const clock = { now: START };
    const cached = codecAt(clock);
    const { token, claims } = await cached.sign(CLAIMS, 60);
    await cached.verify(token, 'access');
    // The 5 s clock allowance: exp + 5 s is the first moment the token is expired.
    const expiredAt = (claims.exp + 5) * 1000;
    clock.now = expiredAt - 1;
    await expect(cached.verify(token, 'access')).resolves.toEqual(claims);
    await expect(codecAt(clock).verify(token, 'access')).resolves.toEqual(claims);
    clock.now = expiredAt;
    await expect(codecAt(clock).verify(token, 'access')).rejects.toThrow('token expired');
    await expect(cached.verify(token, 'access')).rejects.toThrow('token expired');
    // Dropped from the cache, it is checked in full again: still expired.
    await expect(cached.verify(token, 'access')).rejects.toThrow('token expired');
  });

  it('a cached token is still held to its type', async () => {
    const clock = { now: START };
    const codec = codecAt(clock);
    const access = await codec.sign(CLAIMS, 60);
    const refresh = await codec.sign({ ...CLAIMS, typ: 'refresh' }, 60);
    await codec.verify(access.token, 'access');
    await codec.verify(refresh.token, 'refresh');
    await expect(codec.verify(access.token, 'refresh')).rejects.toThrow(new InvalidTokenError('an access token cannot be used here'));
    await expect(codec.verify(refresh.token, 'access')).rejects.toThrow(new InvalidTokenError('a refresh token cannot be used here'));
  });

  it('asymmetric keys: signs with a key id, publishes only the public half, and refuses an HS256 token made with that public key', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const clock = { now: START };
    const codec = new JwtCodec({ key: { algorithm: 'EdDSA', privateKey, publicKey, keyId: 'k-1' }, issuer: ISSUER, audience: ISSUER, now: () => clock.now });
    const { token, claims } = await codec.sign(CLAIMS, 60);
    expect(JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString())).toEqual({ alg: 'EdDSA', typ: 'JWT', kid: 'k-1' });
    await expect(codec.verify(token, 'access')).resolves.toEqual(claims satisfies TokenClaims);
    const { keys } = await codec.jwks();
    expect(keys).toEqual([expect.objectContaining({ kty: 'OKP', crv: 'Ed25519', kid: 'k-1', alg: 'EdDSA', use: 'sig' })]);
    expect(keys[0]).not.toHaveProperty('d');
    // The algorithm is pinned: the public key's bytes used as an HMAC secret get nowhere.
    const confused = await new SignJWT({ ...CLAIMS, jti: 'j-3' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience(ISSUER)
      .setIssuedAt(START / 1000)
      .setExpirationTime(START / 1000 + 60)
      .sign(publicKey.export({ format: 'der', type: 'spki' }));
    await expect(codec.verify(confused, 'access')).rejects.toBeInstanceOf(InvalidTokenError);
    await expect(codecAt(clock).jwks()).resolves.toEqual({ keys: [] });
  });
});
