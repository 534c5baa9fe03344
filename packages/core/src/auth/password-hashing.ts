import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** scrypt cost parameters; stored with every hash, so raising them later upgrades hashes on login. */
export interface ScryptParams {
  /** log2 of the CPU/memory cost N. */
  readonly logN: number;
  readonly r: number;
  readonly p: number;
}

/** OWASP's minimum for scrypt: N = 2^17, r = 8, p = 1 (128 MiB and a few hundred ms per hash). */
export const OWASP_SCRYPT_PARAMS: ScryptParams = Object.freeze({ logN: 17, r: 8, p: 1 });

const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
const ENCODED = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const N = 2 ** params.logN;
  const options: ScryptOptions = { N, r: params.r, p: params.p, maxmem: 256 * N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

function parse(encoded: string): { params: ScryptParams; salt: Buffer; hash: Buffer } | undefined {
  const match = ENCODED.exec(encoded);
  if (match === null) return undefined;
  const [, logN, r, p, salt, hash] = match;
  return {
    params: { logN: Number(logN), r: Number(r), p: Number(p) },
    salt: Buffer.from(salt ?? '', 'base64'),
    hash: Buffer.from(hash ?? '', 'base64'),
  };
}

/**
 * Hashes and checks passwords with node:crypto's scrypt, in the PHC string format
 * `$scrypt$ln=17,r=8,p=1$<salt>$<hash>`. Comparison is constant-time.
 */
export class PasswordHasher {
  readonly params: ScryptParams;
  #decoy: Promise<string> | undefined;

  constructor(params: ScryptParams = OWASP_SCRYPT_PARAMS) {
    if (!Number.isInteger(params.logN) || params.logN < 1 || params.logN > 24) throw new RangeError('scrypt logN must be 1..24');
    this.params = params;
  }

  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_LENGTH);
    const key = await derive(password, salt, this.params);
    const { logN, r, p } = this.params;
    return `$scrypt$ln=${logN},r=${r},p=${p}$${salt.toString('base64')}$${key.toString('base64')}`;
  }

  /** `false` for a wrong password and for a malformed stored hash alike. */
  async verify(password: string, encoded: string): Promise<boolean> {
    const parsed = parse(encoded);
    if (parsed === undefined || parsed.hash.length !== KEY_LENGTH) return false;
    const key = await derive(password, parsed.salt, parsed.params);
    return timingSafeEqual(key, parsed.hash);
  }

  /**
   * Spends the same time as checking a real password, for a user that does not exist, so the
   * answer's timing does not tell which usernames exist.
   */
  async verifyDecoy(password: string): Promise<false> {
    this.#decoy ??= this.hash(randomBytes(16).toString('hex'));
    await this.verify(password, await this.#decoy);
    return false;
  }

  /** Whether a stored hash was made with weaker parameters than the current ones. */
  needsRehash(encoded: string): boolean {
    const parsed = parse(encoded);
    if (parsed === undefined) return true;
    const { logN, r, p } = parsed.params;
    return logN < this.params.logN || r < this.params.r || p < this.params.p;
  }
}
