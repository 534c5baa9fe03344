import { randomBytes, scryptSync } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { PasswordHasher } from '../../src/auth/password-hashing.js';

// The password hasher's checks one by one (issue 24, mutation testing): the stored format is read
// whole and exactly, a malformed hash is a wrong password (never an exception), the decoy does the
// work of a real check, and every weaker parameter asks for a rehash. Cheap parameters except where the
// default is the point.
const CHEAP = { logN: 10, r: 8, p: 1 };

/** A PHC scrypt string made outside the hasher, as another implementation would store it. */
function phc(password: string, salt: Buffer, params: { logN: number; r: number; p: number }, keyLength = 32): string {
  const key = scryptSync(password, salt, keyLength, { N: 2 ** params.logN, r: params.r, p: params.p });
  return `$scrypt$ln=${params.logN},r=${params.r},p=${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

describe('PasswordHasher', () => {
  it('refuses a cost outside 2^1..2^24 or not whole', () => {
    for (const logN of [0, 25, 10.5, Number.NaN]) expect(() => new PasswordHasher({ logN, r: 8, p: 1 })).toThrow(new RangeError('scrypt logN must be 1..24'));
    expect(new PasswordHasher({ logN: 1, r: 8, p: 1 }).params.logN).toBe(1);
    expect(new PasswordHasher({ logN: 24, r: 8, p: 1 }).params.logN).toBe(24);
  });

  it('hashes and checks with multi-digit r and p, and with a tiny N and a large p (memory bound)', async () => {
    for (const params of [
      { logN: 4, r: 12, p: 11 },
      { logN: 1, r: 1, p: 8 },
    ]) {
      const hasher = new PasswordHasher(params);
      const stored = await hasher.hash('pw');
      expect(stored.startsWith(`$scrypt$ln=${params.logN},r=${params.r},p=${params.p}$`)).toBe(true);
      expect(await hasher.verify('pw', stored)).toBe(true);
      expect(await hasher.verify('pW', stored)).toBe(false);
    }
  });

  it('checks a hash another implementation stored, unpadded salt included', async () => {
    const hasher = new PasswordHasher(CHEAP);
    const stored = phc('s3cret', randomBytes(15), CHEAP);
    expect(stored.split('$')[3]).not.toContain('=');
    expect(await hasher.verify('s3cret', stored)).toBe(true);
    expect(await hasher.verify('s3cret!', stored)).toBe(false);
  });

  it('compares the password in Unicode normal form C: a composed and a decomposed é are the same password', async () => {
    const hasher = new PasswordHasher(CHEAP);
    const stored = await hasher.hash('caf\u00e9');
    expect(await hasher.verify('cafe\u0301', stored)).toBe(true);
  });

  it('a stored hash with anything before or after it, or a key of the wrong length, is a wrong password, not an error', async () => {
    const hasher = new PasswordHasher(CHEAP);
    const stored = await hasher.hash('pw');
    expect(await hasher.verify('pw', `x${stored}`)).toBe(false);
    expect(await hasher.verify('pw', `${stored}x`)).toBe(false);
    expect(await hasher.verify('pw', `${stored}\n`)).toBe(false);
    expect(await hasher.verify('pw', phc('pw', randomBytes(16), CHEAP, 16))).toBe(false);
    expect(await hasher.verify('pw', phc('pw', randomBytes(16), CHEAP, 64))).toBe(false);
    expect(await hasher.verify('pw', stored.replace('$scrypt$', '$argon2$'))).toBe(false);
    expect(await hasher.verify('pw', stored.replace('ln=10', 'ln=100'))).toBe(false);
  });

  it('the decoy checks a password against a real scrypt hash of the current parameters, made once', async () => {
    const hasher = new PasswordHasher(CHEAP);
    const verify = vi.spyOn(hasher, 'verify');
    const hash = vi.spyOn(hasher, 'hash');
    await expect(hasher.verifyDecoy('guess')).resolves.toBe(false);
    await expect(hasher.verifyDecoy('another guess')).resolves.toBe(false);
    expect(hash).toHaveBeenCalledTimes(1);
    expect(verify).toHaveBeenCalledTimes(2);
    expect(verify).toHaveBeenCalledWith('guess', expect.stringMatching(/^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}$/));
  });

  it('asks for a rehash when any one parameter is weaker or the hash unreadable, not when all are as strong or stronger', () => {
    const hasher = new PasswordHasher({ logN: 15, r: 8, p: 2 });
    const stored = (ln: number, r: number, p: number) => `$scrypt$ln=${ln},r=${r},p=${p}$AAAAAAAAAAAAAAAAAAAAAA==$${'A'.repeat(43)}=`;
    expect(hasher.needsRehash(stored(15, 8, 2))).toBe(false);
    expect(hasher.needsRehash(stored(16, 9, 3))).toBe(false);
    expect(hasher.needsRehash(stored(14, 8, 2))).toBe(true);
    expect(hasher.needsRehash(stored(15, 7, 2))).toBe(true);
    expect(hasher.needsRehash(stored(15, 8, 1))).toBe(true);
    expect(hasher.needsRehash('garbage')).toBe(true);
  });
});
