import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import { IdentityProviderUnavailableError, InvalidTokenError } from '../errors/index.js';
import type { Logger } from '../logging/logger.js';
import { DEFAULT_ROLE_MAP, nameFromClaims, roleFromClaims, toolsFromClaims } from './external-claims.js';
import { discoverJwksUri, isHttpsOrLoopback } from './oidc-discovery.js';
import { ROLES, type Role } from './roles.js';

/** Asymmetric signature algorithms only: an HMAC (`HS*`) or `none` token is never accepted from a provider. */
export const EXTERNAL_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;
/** A signature algorithm accepted on an identity provider's tokens: asymmetric ones only. */
export type ExternalAlgorithm = (typeof EXTERNAL_ALGORITHMS)[number];

/**
 * An OAuth 2.0 / OpenID Connect provider whose access tokens the gateway accepts beside its own
 * (the organisation's identity provider, so MCP clients sign in there).
 */
export interface ExternalIssuerOptions {
  /** The provider's issuer, exactly as its tokens' `iss` claim spells it (`https://idp.example.com/`). */
  readonly issuer: string;
  /** This gateway's resource URL as clients name it (RFC 8707); tokens must carry it in `aud`. */
  readonly audience: string;
  /** Default: the `jwks_uri` of `<issuer>/.well-known/openid-configuration`, looked up at the first token. */
  readonly jwksUri?: string;
  /** The claim that names the role (default `agent_gateway_role`): a string, a list, or a space-separated string. */
  readonly roleClaim?: string;
  /** Claim values and the roles they give (default: `admin`, `approver`, `agent` give themselves). */
  readonly roles?: Readonly<Record<string, Role>>;
  /** The role of a token whose claim maps to none. Default: none, so such a token is refused (403). */
  readonly defaultRole?: Role;
  /** A claim listing the tool names and globs the caller may call. Unset: every tool the role may call. */
  readonly toolsClaim?: string;
  /** The claim that names the caller (default `sub`, stable and not editable by the user). */
  readonly usernameClaim?: string;
  /** Callers are named `<prefix>:<name>`, apart from local users (default `oidc`; one per provider). */
  readonly prefix?: string;
  /** Default: every asymmetric algorithm jose verifies. */
  readonly algorithms?: readonly ExternalAlgorithm[];
  /** Allowance for the provider's clock (seconds; default 10). */
  readonly clockToleranceSeconds?: number;
  /**
   * Key set fetching: timeout (5000 ms; 1..60000, for discovery too), pause before an unknown `kid`
   * fetches again (30000), cache age (600000).
   */
  readonly jwks?: { readonly timeoutMs?: number; readonly cooldownMs?: number; readonly cacheMaxAgeMs?: number };
}

/** A token whose signature and claims the provider's keys proved. */
export interface VerifiedExternalToken {
  readonly payload: JWTPayload;
  readonly tokenId: string | undefined;
  readonly issuedAt: number | undefined;
  readonly expiresAt: number;
}

/** Who a verified token names, in the gateway's terms. */
export interface ExternalIdentity {
  readonly id: string;
  readonly role: Role;
  readonly allowedTools?: readonly string[];
}

const PREFIX = /^[a-z][a-z0-9-]{0,31}$/;
/** An outage fails every request for a provider's tokens: its cause is logged once per this long, not per request. */
const REPORT_EVERY_MS = 30_000;

export interface ExternalIssuerContext {
  readonly now?: () => number;
  readonly logger?: Logger;
}

/**
 * Verifies one provider's access tokens with jose against its key set (cached, refetched when an
 * unknown `kid` appears but at most once per cooldown, so a flood of made-up key ids cannot make the
 * gateway hammer the provider), and maps their claims to a caller. Bad tokens are 401
 * `invalid_token`; a provider that cannot be reached is 503 `identity_provider_unavailable`.
 */
export class ExternalIssuer {
  readonly issuer: string;
  readonly prefix: string;
  readonly #options: ExternalIssuerOptions;
  readonly #verifyOptions: JWTVerifyOptions;
  readonly #now: () => number;
  readonly #logger: Logger | undefined;
  readonly #tolerance: number;
  #reportedAt = Number.NEGATIVE_INFINITY;
  #keys: JWTVerifyGetKey | undefined;
  #discovering: Promise<JWTVerifyGetKey> | undefined;

  constructor(options: ExternalIssuerOptions, context: ExternalIssuerContext = {}) {
    checkOptions(options);
    this.issuer = options.issuer;
    this.prefix = options.prefix ?? 'oidc';
    this.#options = options;
    this.#now = context.now ?? Date.now;
    this.#logger = context.logger;
    this.#tolerance = options.clockToleranceSeconds ?? 10;
    this.#verifyOptions = {
      issuer: options.issuer,
      audience: options.audience,
      algorithms: [...(options.algorithms ?? EXTERNAL_ALGORITHMS)],
      clockTolerance: this.#tolerance,
    };
    if (options.jwksUri !== undefined) this.#keys = this.#keySet(new URL(options.jwksUri));
  }

  /** Signature, issuer, audience, algorithm and times; 401 for a bad token, 503 when the keys cannot be had. */
  async verify(token: string): Promise<VerifiedExternalToken> {
    const options = { ...this.#verifyOptions, currentDate: new Date(this.#now()) };
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.#resolveKey, options));
    } catch (error) {
      if (error instanceof IdentityProviderUnavailableError) this.#report(error);
      payload = await this.#retryOrRefuse(error, token, options);
    }
    if (payload.iat !== undefined && payload.iat > this.#now() / 1000 + this.#tolerance) throw new InvalidTokenError('token not yet valid');
    const { jti, iat, exp } = payload;
    // A token that never expires is refused: here rather than by jose's requiredClaims, so that one
    // check does it (and gives exp its type).
    if (exp === undefined) throw new InvalidTokenError();
    return { payload, tokenId: typeof jti === 'string' && jti !== '' ? jti : undefined, issuedAt: iat, expiresAt: exp };
  }

  /** The caller a verified token names: `<prefix>:<name>`, its role, and its allow-list when configured. */
  identify(token: VerifiedExternalToken): ExternalIdentity {
    const { payload } = token;
    const name = nameFromClaims(payload, this.#options.usernameClaim ?? 'sub');
    const role = roleFromClaims(payload, this.#options.roleClaim ?? 'agent_gateway_role', this.#options.roles ?? DEFAULT_ROLE_MAP, this.#options.defaultRole);
    const { toolsClaim } = this.#options;
    return { id: `${this.prefix}:${name}`, role, ...(toolsClaim === undefined ? {} : { allowedTools: toolsFromClaims(payload, toolsClaim) }) };
  }

  /** Keys without a `kid` that several match are tried in turn; every other failure is final. */
  async #retryOrRefuse(error: unknown, token: string, options: JWTVerifyOptions): Promise<JWTPayload> {
    if (error instanceof joseErrors.JWKSMultipleMatchingKeys) {
      for await (const key of error) {
        try {
          return (await jwtVerify(token, key, options)).payload;
        } catch (inner) {
          if (!(inner instanceof joseErrors.JWSSignatureVerificationFailed)) throw refusal(inner);
        }
      }
    }
    throw refusal(error);
  }

  /** jose calls this after the algorithm check, so an HS256 or `none` token never makes it fetch. */
  readonly #resolveKey: JWTVerifyGetKey = async (header, token) => {
    const keys = this.#keys ?? (await this.#discover());
    try {
      return await keys(header, token);
    } catch (error) {
      // No key for this token (or more than one) is the token's fault; anything else is the provider's.
      if (error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWKSMultipleMatchingKeys || error instanceof joseErrors.JOSENotSupported) throw error;
      throw new IdentityProviderUnavailableError(error);
    }
  };

  /** The client gets a bare 503; the operator needs to know why (never with the token). */
  #report(error: IdentityProviderUnavailableError): void {
    const now = this.#now();
    if (now - this.#reportedAt < REPORT_EVERY_MS) return;
    this.#reportedAt = now;
    this.#logger?.warn("cannot fetch the identity provider's keys; its tokens are answered 503 until it answers", { issuer: this.issuer, error: error.cause });
  }

  /** One discovery at a time; a failed one is not kept, so the next token tries again. */
  #discover(): Promise<JWTVerifyGetKey> {
    this.#discovering ??= discoverJwksUri(this.issuer, this.#options.jwks?.timeoutMs ?? 5000)
      .then((uri) => (this.#keys = this.#keySet(uri)))
      .finally(() => {
        this.#discovering = undefined;
      });
    return this.#discovering;
  }

  #keySet(uri: URL): JWTVerifyGetKey {
    const { timeoutMs, cooldownMs, cacheMaxAgeMs } = this.#options.jwks ?? {};
    // jose reads an undefined duration as its default (5 s, 30 s, 10 min), the ones documented above.
    return createRemoteJWKSet(uri, { timeoutDuration: timeoutMs, cooldownDuration: cooldownMs, cacheMaxAge: cacheMaxAgeMs });
  }
}

/** What a client gets for a failed verification: never the token, never jose's own wording. */
function refusal(error: unknown): Error {
  if (error instanceof IdentityProviderUnavailableError) return error;
  if (error instanceof joseErrors.JWTExpired) return new InvalidTokenError('token expired');
  return new InvalidTokenError();
}

function checkOptions(options: ExternalIssuerOptions): void {
  const problems: string[] = [];
  const issuer = URL.canParse(options.issuer) ? new URL(options.issuer) : undefined;
  if (issuer === undefined || !isHttpsOrLoopback(issuer)) problems.push('issuer must be an https URL (http only on loopback)');
  if (!URL.canParse(options.audience)) problems.push('audience must be this gateway\'s resource URL');
  if (options.jwksUri !== undefined && !(URL.canParse(options.jwksUri) && isHttpsOrLoopback(new URL(options.jwksUri)))) {
    problems.push('jwksUri must be an https URL (http only on loopback)');
  }
  if (options.prefix !== undefined && !PREFIX.test(options.prefix)) problems.push('prefix must be 1..32 lower-case letters, digits or -, starting with a letter');
  const algorithms: readonly string[] = options.algorithms ?? EXTERNAL_ALGORITHMS;
  if (algorithms.length === 0 || !algorithms.every((alg) => (EXTERNAL_ALGORITHMS as readonly string[]).includes(alg))) {
    problems.push(`algorithms must be some of ${EXTERNAL_ALGORITHMS.join(', ')}`);
  }
  const roles = Object.values(options.roles ?? {});
  if (![...roles, options.defaultRole].every((role) => role === undefined || ROLES.includes(role))) problems.push(`roles map to ${ROLES.join(', ')} only`);
  for (const claim of ['roleClaim', 'toolsClaim', 'usernameClaim'] as const) {
    if (options[claim] !== undefined && options[claim].trim() === '') problems.push(`${claim} must not be empty`);
  }
  const { timeoutMs, cooldownMs, cacheMaxAgeMs } = options.jwks ?? {};
  // Checked here, as jose would only refuse them when the key set is made: at the first token when the
  // key set is discovered, which then refused every token as invalid (401) and fetched discovery again for each.
  if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs >= 1 && timeoutMs <= 60_000)) problems.push('jwks.timeoutMs must be a whole number of milliseconds, 1..60000');
  for (const [name, value] of [['cooldownMs', cooldownMs], ['cacheMaxAgeMs', cacheMaxAgeMs]] as const) {
    // NaN is not >= 0 either.
    if (value !== undefined && !(value >= 0)) problems.push(`jwks.${name} must be 0 or more milliseconds`);
  }
  const tolerance = options.clockToleranceSeconds;
  // NaN fails both comparisons, and an infinite tolerance the one on its side.
  if (tolerance !== undefined && !(tolerance >= 0 && tolerance <= 300)) problems.push('clockToleranceSeconds must be 0..300');
  if (problems.length > 0) throw new TypeError(`external issuer ${JSON.stringify(options.issuer)}: ${problems.join('; ')}`);
}
