import { randomBytes, randomUUID } from 'node:crypto';
import { errors as joseErrors, exportJWK, jwtVerify, SignJWT, type CryptoKey, type JWK, type KeyObject } from 'jose';
import { z } from 'zod';
import { InvalidTokenError } from '../errors/index.js';
import { roleSchema } from './roles.js';

/** Which kind of token: an access token authenticates calls, a refresh token only gets a new pair. */
export type TokenType = 'access' | 'refresh';

/**
 * How tokens are signed. HS256 with a shared secret (at least 32 bytes), or an asymmetric pair
 * (EdDSA or ES256) whose public half the host can publish as a JWKS. The algorithm is pinned:
 * a token signed with any other is refused.
 */
export type SigningKey =
  | { readonly algorithm: 'HS256'; readonly secret: string | Uint8Array }
  | {
      readonly algorithm: 'EdDSA' | 'ES256';
      readonly privateKey: CryptoKey | KeyObject;
      readonly publicKey: CryptoKey | KeyObject;
      readonly keyId?: string;
    };

/** The claims the gateway puts in every token. */
export const tokenClaimsSchema = z.object({
  /** The username, in its normal form. */
  sub: z.string().min(1),
  /**
   * The user instance the token was issued to. A token without it, or naming another instance of the
   * same username (deleted and created again), is refused.
   */
  uid: z.string().min(1),
  role: roleSchema,
  typ: z.enum(['access', 'refresh']),
  jti: z.string().min(1),
  /** The refresh family: every token descended from one login. */
  fam: z.string().min(1),
  /** The user's token version when issued (raised by a password change). */
  ver: z.number().int().nonnegative(),
  /** The revocation generation when issued (raised by revoke-all). */
  gen: z.number().int().nonnegative(),
  iat: z.number(),
  exp: z.number(),
});
/**
 * The claims of a token the gateway issued: subject, user instance, role, type, ids, generation and times.
 */
export type TokenClaims = z.infer<typeof tokenClaimsSchema>;

/** A token and the claims signed into it. */
export interface SignedToken {
  readonly token: string;
  readonly claims: TokenClaims;
}

export interface JwtCodecOptions {
  /** Default: a random HS256 secret made now, so a restart invalidates every token. */
  readonly key?: SigningKey;
  readonly issuer: string;
  readonly audience: string;
  readonly now?: () => number;
}

/** Allowance for clocks that disagree a little between the issuer and the checker. */
const CLOCK_TOLERANCE_SECONDS = 5;
/** Tokens whose signature was checked, kept so a busy caller's token is not re-verified per call. */
const VERIFIED_CACHE_SIZE = 10_000;

/** Signs and verifies the gateway's JWTs (jose). Knows nothing about users or revocation. */
export class JwtCodec {
  readonly algorithm: SigningKey['algorithm'];
  readonly #signingKey: CryptoKey | KeyObject | Uint8Array;
  readonly #verifyingKey: CryptoKey | KeyObject | Uint8Array;
  readonly #keyId: string | undefined;
  readonly #publicKey: CryptoKey | KeyObject | undefined;
  readonly #issuer: string;
  readonly #audience: string;
  readonly #now: () => number;
  readonly #verified = new Map<string, TokenClaims>();

  constructor(options: JwtCodecOptions) {
    const key = options.key ?? { algorithm: 'HS256', secret: randomBytes(32) };
    this.algorithm = key.algorithm;
    if (key.algorithm === 'HS256') {
      const secret = typeof key.secret === 'string' ? new TextEncoder().encode(key.secret) : key.secret;
      if (secret.byteLength < 32) throw new RangeError('an HS256 secret must be at least 32 bytes');
      this.#signingKey = secret;
      this.#verifyingKey = secret;
      this.#keyId = undefined;
      this.#publicKey = undefined;
    } else {
      this.#signingKey = key.privateKey;
      this.#verifyingKey = key.publicKey;
      this.#keyId = key.keyId ?? randomUUID();
      this.#publicKey = key.publicKey;
    }
    this.#issuer = options.issuer;
    this.#audience = options.audience;
    this.#now = options.now ?? Date.now;
  }

  async sign(claims: Omit<TokenClaims, 'jti' | 'iat' | 'exp'>, ttlSeconds: number): Promise<SignedToken> {
    const iat = Math.floor(this.#now() / 1000);
    const full: TokenClaims = { ...claims, jti: randomUUID(), iat, exp: iat + ttlSeconds };
    const header = { alg: this.algorithm, typ: 'JWT', ...(this.#keyId === undefined ? {} : { kid: this.#keyId }) };
    const token = await new SignJWT({ uid: full.uid, role: full.role, typ: full.typ, fam: full.fam, ver: full.ver, gen: full.gen })
      .setProtectedHeader(header)
      .setSubject(full.sub)
      .setJti(full.jti)
      .setIssuedAt(full.iat)
      .setExpirationTime(full.exp)
      .setIssuer(this.#issuer)
      .setAudience(this.#audience)
      .sign(this.#signingKey);
    return { token, claims: full };
  }

  /**
   * The claims of a token this gateway signed, of the expected type, not expired and not from the
   * future. Anything else is an InvalidTokenError that says only what a client may know.
   */
  async verify(token: string, expected: TokenType): Promise<TokenClaims> {
    // The signature of these exact bytes was checked before; the time and type checks below still run.
    const known = this.#verified.get(token);
    // Stryker disable next-line ConditionalExpression,BlockStatement: equivalent, skipping the cache verifies in full, with the same verdict
    if (known !== undefined) {
      if (known.exp + CLOCK_TOLERANCE_SECONDS <= this.#now() / 1000) {
        this.#verified.delete(token);
        throw new InvalidTokenError('token expired');
      }
      return this.#check(known, expected);
    }
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, this.#verifyingKey, {
        algorithms: [this.algorithm],
        issuer: this.#issuer,
        audience: this.#audience,
        // Stryker disable next-line ArrayDeclaration: equivalent, tokenClaimsSchema requires these four as well (the test of a token lacking each holds both)
        requiredClaims: ['sub', 'jti', 'iat', 'exp'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: new Date(this.#now()),
      }));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new InvalidTokenError('token expired');
      throw new InvalidTokenError();
    }
    const parsed = tokenClaimsSchema.safeParse(payload);
    if (!parsed.success) throw new InvalidTokenError();
    const claims = parsed.data;
    if (claims.iat > this.#now() / 1000 + CLOCK_TOLERANCE_SECONDS) throw new InvalidTokenError('token not yet valid');
    this.#verified.set(token, claims);
    // Stryker disable all: equivalent, the bound limits memory only; which tokens the cache holds changes no verdict
    if (this.#verified.size > VERIFIED_CACHE_SIZE) {
      const oldest = this.#verified.keys().next().value;
      if (oldest !== undefined) this.#verified.delete(oldest);
    }
    // Stryker restore all
    return this.#check(claims, expected);
  }

  #check(claims: TokenClaims, expected: TokenType): TokenClaims {
    if (claims.typ !== expected) throw new InvalidTokenError(`${claims.typ === 'access' ? 'an access' : 'a refresh'} token cannot be used here`);
    return claims;
  }

  /** The public key as a JWKS, for asymmetric keys; empty for HS256 (a secret is never published). */
  async jwks(): Promise<{ keys: JWK[] }> {
    if (this.#publicKey === undefined) return { keys: [] };
    const jwk = await exportJWK(this.#publicKey);
    return { keys: [{ ...jwk, kid: this.#keyId, alg: this.algorithm, use: 'sig' }] };
  }
}

