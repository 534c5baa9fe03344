import { decodeJwt } from 'jose';
import { BadRequestError, InvalidTokenError } from '../errors/index.js';
import type { Caller } from '../pipeline/caller.js';
import type { Logger } from '../logging/logger.js';
import { ExternalIssuer, type ExternalIssuerOptions, type VerifiedExternalToken } from './external-issuer.js';
import type { RevocationStore } from './revocation-store.js';

/**
 * The external providers TokenService accepts tokens from, and what it does with them: pick the
 * provider by the token's `iss`, verify with that provider's keys alone, apply the gateway's own
 * revocations (by `jti`, and revoke-all for tokens issued before it), and make the caller.
 */
export class ExternalIssuers {
  /** The providers' issuer URLs, in configuration order (for RFC 9728 `authorization_servers`). */
  readonly servers: readonly string[];
  readonly #byIssuer: ReadonlyMap<string, ExternalIssuer>;
  readonly #revocations: RevocationStore;

  constructor(
    options: readonly ExternalIssuerOptions[],
    context: { localIssuer: string; revocations: RevocationStore; now: () => number; logger: Logger | undefined },
  ) {
    const byIssuer = new Map<string, ExternalIssuer>();
    const prefixes = new Set<string>();
    for (const entry of options) {
      const issuer = new ExternalIssuer(entry, { now: context.now, logger: context.logger });
      if (issuer.issuer === context.localIssuer) throw new TypeError(`external issuer ${JSON.stringify(issuer.issuer)} is the gateway's own issuer`);
      if (byIssuer.has(issuer.issuer)) throw new TypeError(`external issuer ${JSON.stringify(issuer.issuer)} is configured twice`);
      // Two providers may both have a user "alice": each needs its own namespace of caller names.
      if (prefixes.has(issuer.prefix)) throw new TypeError(`external issuers share the prefix ${JSON.stringify(issuer.prefix)}; give each its own`);
      byIssuer.set(issuer.issuer, issuer);
      prefixes.add(issuer.prefix);
    }
    this.#byIssuer = byIssuer;
    this.servers = Object.freeze([...byIssuer.keys()]);
    this.#revocations = context.revocations;
  }

  /**
   * The provider a token names in its `iss`, read without verifying: it only chooses which keys
   * verify the token, and those then check every claim, `iss` included. Undefined for any other
   * issuer (the gateway's own tokens). Nothing is configured: nothing is decoded.
   */
  issuerOf(token: string): ExternalIssuer | undefined {
    if (this.#byIssuer.size === 0) return undefined;
    let iss: unknown;
    try {
      ({ iss } = decodeJwt(token));
    } catch {
      throw new InvalidTokenError();
    }
    return typeof iss === 'string' ? this.#byIssuer.get(iss) : undefined;
  }

  has(issuer: string): boolean {
    return this.#byIssuer.has(issuer);
  }

  /** The caller a provider's access token proves: verified, not revoked here, with a role here. */
  async authenticate(issuer: ExternalIssuer, token: string): Promise<Caller> {
    const verified = await issuer.verify(token);
    await this.#assertNotRevoked(verified);
    const identity = issuer.identify(verified);
    return {
      kind: 'user',
      id: identity.id,
      issuer: issuer.issuer,
      role: identity.role,
      ...(verified.tokenId === undefined ? {} : { tokenId: verified.tokenId }),
      ...(identity.allowedTools === undefined ? {} : { allowedTools: identity.allowedTools }),
    };
  }

  /** A provider's token to revoke here: it must verify (expired: nothing to do) and carry a `jti`. */
  async forRevocation(issuer: ExternalIssuer, token: string): Promise<{ tokenId: string; expiresAt: number }> {
    let verified: VerifiedExternalToken;
    try {
      verified = await issuer.verify(token);
    } catch (error) {
      if (!(error instanceof InvalidTokenError)) throw error;
      throw new BadRequestError(error.message === 'token expired' ? 'that token has expired already; nothing to revoke' : 'that is not a valid token of a configured identity provider');
    }
    if (verified.tokenId === undefined) throw new BadRequestError('that token has no jti, so it cannot be revoked here; revoke it at its identity provider');
    return { tokenId: verified.tokenId, expiresAt: verified.expiresAt };
  }

  async #assertNotRevoked(token: VerifiedExternalToken): Promise<void> {
    const [revoked, revokedAllAt] = await Promise.all([
      token.tokenId === undefined ? false : this.#revocations.isTokenRevoked(token.tokenId),
      this.#revocations.revokedAllAt?.(),
    ]);
    // A provider's token carries no generation of ours: a revoke-all ends those issued up to it (and
    // any without `iat`, whose age cannot be told), the same second included.
    const beforeRevokeAll = revokedAllAt !== undefined && (token.issuedAt === undefined || token.issuedAt <= revokedAllAt);
    if (revoked || beforeRevokeAll) throw new InvalidTokenError('token revoked');
  }
}
