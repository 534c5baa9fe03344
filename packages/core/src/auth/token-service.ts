import { randomUUID } from 'node:crypto';
import { ConflictError, BadRequestError, InvalidCredentialsError, InvalidTokenError, NotFoundError, TooManyAttemptsError, UnauthorizedError } from '../errors/index.js';
import type { GatewayEvents } from '../events/gateway-events.js';
import type { Caller } from '../pipeline/caller.js';
import { JwtCodec, type SigningKey, type TokenClaims } from './jwt-codec.js';
import { LoginThrottle, type LoginThrottleOptions } from './login-throttle.js';
import { PasswordHasher, type ScryptParams } from './password-hashing.js';
import { MemoryRevocationStore, type RevocationStore } from './revocation-store.js';
import type { Role } from './roles.js';
import { viewOfUser, type UserRecord, type UserView } from './user.js';
import { MemoryUserStore, type UserStore } from './user-store.js';

export interface TokenServiceOptions {
  /** Default: in memory. `FileUserStore.open(path)` persists users. */
  readonly userStore?: UserStore;
  /** Default: in memory. */
  readonly revocationStore?: RevocationStore;
  /** Default: a random HS256 secret generated at start, so a restart invalidates every token. */
  readonly signingKey?: SigningKey;
  readonly issuer?: string;
  readonly audience?: string;
  /** Default 3600 (AGENT_GATEWAY_ACCESS_EXPIRE). */
  readonly accessTtlSeconds?: number;
  /** Default 604800 (AGENT_GATEWAY_REFRESH_EXPIRE). */
  readonly refreshTtlSeconds?: number;
  /** Default OWASP's scrypt minimum. Lower only in tests. */
  readonly passwordHashing?: ScryptParams;
  readonly throttle?: LoginThrottleOptions;
  readonly now?: () => number;
}

/** What login and refresh return; the routes send it as `{token, refresh_token, token_type, expires_in}`. */
export interface TokenPair {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly tokenType: 'Bearer';
  readonly expiresIn: number;
  /** The access token's id (`jti`), as the audit log records it. */
  readonly tokenId: string;
}

export interface NewUser {
  readonly username: string;
  readonly password: string;
  readonly role: Role;
  /** Tool-name globs; omitted means every tool. */
  readonly tools?: readonly string[] | undefined;
}

/** Who did an admin action, for the events the audit log records. */
export interface Actor {
  readonly actor: Caller;
}

export type RevokeTarget = { readonly token: string } | { readonly jti: string };

export const DEFAULT_ISSUER = 'intelli-agent-gateway';

/**
 * Users, passwords and tokens: login, refresh with rotation and reuse detection, revocation of one
 * token's session or of everything, and users with roles and tool allow-lists. Every step that an
 * auditor cares about is emitted on `gateway.events` (never with a password or a token).
 */
export class TokenService {
  readonly #users: UserStore;
  readonly #revocations: RevocationStore;
  readonly #codec: JwtCodec;
  readonly #hasher: PasswordHasher;
  readonly #throttle: LoginThrottle;
  readonly #events: GatewayEvents;
  readonly #now: () => number;
  readonly accessTtlSeconds: number;
  readonly refreshTtlSeconds: number;

  constructor(options: TokenServiceOptions, events: GatewayEvents) {
    this.#now = options.now ?? Date.now;
    this.#users = options.userStore ?? new MemoryUserStore();
    this.#revocations = options.revocationStore ?? new MemoryRevocationStore({ now: this.#now });
    this.#codec = new JwtCodec({
      ...(options.signingKey === undefined ? {} : { key: options.signingKey }),
      issuer: options.issuer ?? DEFAULT_ISSUER,
      audience: options.audience ?? DEFAULT_ISSUER,
      now: this.#now,
    });
    this.#hasher = new PasswordHasher(options.passwordHashing);
    this.#throttle = new LoginThrottle({ now: this.#now, ...options.throttle });
    this.#events = events;
    this.accessTtlSeconds = options.accessTtlSeconds ?? 3600;
    this.refreshTtlSeconds = options.refreshTtlSeconds ?? 604800;
  }

  /** The token signing algorithm (pinned on verify). */
  get algorithm(): SigningKey['algorithm'] {
    return this.#codec.algorithm;
  }

  async login(username: string, password: string, context: { address: string }): Promise<TokenPair> {
    const { address } = context;
    const waitMs = this.#throttle.retryAfterMs(username, address);
    if (waitMs > 0) {
      this.#events.emitSafely('auth.login_failed', { username, address, reason: 'throttled' });
      throw new TooManyAttemptsError(Math.ceil(waitMs / 1000));
    }
    const user = await this.#users.get(username);
    // An unknown user costs the same scrypt run as a wrong password: timing reveals nothing.
    const ok = user === undefined ? await this.#hasher.verifyDecoy(password) : await this.#hasher.verify(password, user.passwordHash);
    if (user === undefined || !ok) {
      this.#throttle.recordFailure(username, address);
      this.#events.emitSafely('auth.login_failed', { username, address, reason: 'invalid_credentials' });
      throw new InvalidCredentialsError();
    }
    this.#throttle.recordSuccess(username, address);
    if (this.#hasher.needsRehash(user.passwordHash)) {
      // Raised cost parameters reach stored hashes on the next successful login.
      await this.#users.put({ ...user, passwordHash: await this.#hasher.hash(password) });
    }
    const pair = await this.#issue(user, randomUUID());
    this.#events.emitSafely('auth.login', { username, address, tokenId: pair.tokenId });
    return pair;
  }

  async refresh(refreshToken: string): Promise<TokenPair> {
    const claims = await this.#codec.verify(refreshToken, 'refresh');
    await this.#assertNotRevoked(claims);
    if (!(await this.#revocations.consumeRefreshToken(claims.jti, claims.exp))) {
      // A used refresh token came back: one of its holders is not its owner. End the whole session.
      await this.#revocations.revokeFamily(claims.fam, this.#nowSeconds() + this.refreshTtlSeconds);
      this.#events.emitSafely('auth.refresh_reused', { username: claims.sub, tokenId: claims.jti });
      throw new InvalidTokenError('refresh token already used; the session it belongs to is revoked');
    }
    const user = await this.#currentUser(claims);
    const pair = await this.#issue(user, claims.fam);
    this.#events.emitSafely('auth.refreshed', { username: user.username, tokenId: pair.tokenId, previousTokenId: claims.jti });
    return pair;
  }

  /** The caller an `Authorization: Bearer` header proves, or 401. */
  async authenticateHeader(header: string | undefined): Promise<Caller> {
    if (header === undefined || header === '') throw new UnauthorizedError('a bearer token is required');
    const match = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i.exec(header.trim());
    if (match?.[1] === undefined) throw new InvalidTokenError('the Authorization header must be "Bearer <token>"');
    return this.authenticate(match[1]);
  }

  /** The caller an access token proves: signature, claims, revocation and the user's current state. */
  async authenticate(accessToken: string): Promise<Caller> {
    const claims = await this.#codec.verify(accessToken, 'access');
    await this.#assertNotRevoked(claims);
    const user = await this.#currentUser(claims);
    return callerOf(user, claims.jti);
  }

  /** A caller acting as `username` without a token (the scheduler's `runAs`); 401 if no such user. */
  async callerFor(username: string): Promise<Caller> {
    const user = await this.#users.get(username);
    if (user === undefined) throw new InvalidTokenError(`no user named ${JSON.stringify(username)}`);
    return callerOf(user, undefined);
  }

  /**
   * Revokes a token and the session (refresh family) it belongs to. By `jti` (as the audit log shows
   * it) the token alone is revoked. A token this gateway did not sign is a 400; an expired one is
   * already useless and is accepted.
   */
  async revoke(target: RevokeTarget, by: Actor): Promise<{ tokenId: string }> {
    const horizon = this.#nowSeconds() + Math.max(this.accessTtlSeconds, this.refreshTtlSeconds);
    if ('jti' in target) {
      await this.#revocations.revokeToken(target.jti, horizon);
      this.#events.emitSafely('auth.token_revoked', { by: by.actor, tokenId: target.jti, scope: 'token' });
      return { tokenId: target.jti };
    }
    const claims = await this.#claimsForRevocation(target.token);
    await this.#revocations.revokeToken(claims.jti, claims.exp);
    await this.#revocations.revokeFamily(claims.fam, horizon);
    this.#events.emitSafely('auth.token_revoked', { by: by.actor, tokenId: claims.jti, scope: 'session' });
    return { tokenId: claims.jti };
  }

  /** Every token issued before now stops working, the caller's own included (incident response). */
  async revokeAll(by: Actor): Promise<void> {
    await this.#revocations.nextGeneration();
    this.#events.emitSafely('auth.token_revoked', { by: by.actor, tokenId: '*', scope: 'all' });
  }

  /**
   * Creates a user, or replaces an existing one's password, role and allow-list (the runbook's
   * `create_user`). A replaced user's tokens stop working at once.
   */
  async createUser(input: NewUser, by: Actor): Promise<{ user: UserView; created: boolean }> {
    const existing = await this.#users.get(input.username);
    if (existing?.role === 'admin' && input.role !== 'admin') await this.#assertAnotherAdmin(input.username);
    const now = new Date(this.#now()).toISOString();
    const record: UserRecord = {
      username: input.username,
      role: input.role,
      passwordHash: await this.#hasher.hash(input.password),
      ...(input.tools === undefined ? {} : { tools: [...input.tools] }),
      tokenVersion: existing === undefined ? 0 : existing.tokenVersion + 1,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
    await this.#users.put(record);
    this.#events.emitSafely('auth.user_created', {
      by: by.actor,
      username: record.username,
      role: record.role,
      created: existing === undefined,
    });
    return { user: viewOfUser(record), created: existing === undefined };
  }

  /** Deletes a user; their tokens stop working at once. The last admin cannot be deleted. */
  async deleteUser(username: string, by: Actor): Promise<void> {
    const existing = await this.#users.get(username);
    if (existing === undefined) throw new NotFoundError(`no user named ${JSON.stringify(username)}`);
    if (existing.role === 'admin') await this.#assertAnotherAdmin(username);
    await this.#users.delete(username);
    this.#events.emitSafely('auth.user_deleted', { by: by.actor, username });
  }

  async listUsers(): Promise<UserView[]> {
    return (await this.#users.list()).map(viewOfUser).sort((a, b) => a.username.localeCompare(b.username));
  }

  /**
   * Creates the bootstrap admin when no user of that name exists. An existing one is left alone,
   * so a password rotated through the API survives a restart with the old variable still set.
   */
  async bootstrapAdmin(username: string, password: string): Promise<{ created: boolean }> {
    if (password === '') throw new RangeError('the bootstrap admin password must not be empty');
    if ((await this.#users.get(username)) !== undefined) return { created: false };
    await this.createUser({ username, password, role: 'admin' }, { actor: { kind: 'system', id: 'bootstrap' } });
    return { created: true };
  }

  /** The public signing key as a JWKS (empty with HS256). */
  jwks(): ReturnType<JwtCodec['jwks']> {
    return this.#codec.jwks();
  }

  async #issue(user: UserRecord, family: string): Promise<TokenPair> {
    const generation = await this.#revocations.currentGeneration();
    const base = { sub: user.username, role: user.role, fam: family, ver: user.tokenVersion, gen: generation };
    const access = await this.#codec.sign({ ...base, typ: 'access' }, this.accessTtlSeconds);
    const refresh = await this.#codec.sign({ ...base, typ: 'refresh' }, this.refreshTtlSeconds);
    return {
      accessToken: access.token,
      refreshToken: refresh.token,
      tokenType: 'Bearer',
      expiresIn: this.accessTtlSeconds,
      tokenId: access.claims.jti,
    };
  }

  async #assertNotRevoked(claims: TokenClaims): Promise<void> {
    const [tokenRevoked, familyRevoked, generation] = await Promise.all([
      this.#revocations.isTokenRevoked(claims.jti),
      this.#revocations.isFamilyRevoked(claims.fam),
      this.#revocations.currentGeneration(),
    ]);
    if (tokenRevoked || familyRevoked || claims.gen < generation) throw new InvalidTokenError('token revoked');
  }

  /** The token's user as they are now: deleted or re-passworded since issue means the token is dead. */
  async #currentUser(claims: TokenClaims): Promise<UserRecord> {
    const user = await this.#users.get(claims.sub);
    if (user === undefined || user.tokenVersion !== claims.ver) throw new InvalidTokenError('token revoked');
    return user;
  }

  async #claimsForRevocation(token: string): Promise<TokenClaims> {
    for (const type of ['access', 'refresh'] as const) {
      try {
        return await this.#codec.verify(token, type);
      } catch (error) {
        if (error instanceof InvalidTokenError && error.message === 'token expired') {
          throw new BadRequestError('that token has expired already; nothing to revoke');
        }
      }
    }
    throw new BadRequestError('that is not a valid token issued by this gateway');
  }

  async #assertAnotherAdmin(username: string): Promise<void> {
    const admins = (await this.#users.list()).filter((u) => u.role === 'admin' && u.username !== username);
    if (admins.length === 0) throw new ConflictError('this is the last admin; create another admin first');
  }

  #nowSeconds(): number {
    return Math.floor(this.#now() / 1000);
  }
}

function callerOf(user: UserRecord, tokenId: string | undefined): Caller {
  return {
    kind: 'user',
    id: user.username,
    role: user.role,
    ...(tokenId === undefined ? {} : { tokenId }),
    ...(user.tools === undefined ? {} : { allowedTools: user.tools }),
  };
}
