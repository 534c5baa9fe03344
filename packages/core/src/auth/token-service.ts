import { randomUUID } from 'node:crypto';
import { AuthBusyError, BadRequestError, InvalidCredentialsError, InvalidTokenError, TooManyAttemptsError, UnauthorizedError } from '../errors/index.js';
import type { GatewayEvents } from '../events/gateway-events.js';
import type { Logger } from '../logging/logger.js';
import type { Caller } from '../pipeline/caller.js';
import type { ExternalIssuerOptions } from './external-issuer.js';
import { ExternalIssuers } from './external-issuers.js';
import { HashSlots, type HashSlotOptions } from './hash-slots.js';
import { JwtCodec, type SigningKey, type TokenClaims } from './jwt-codec.js';
import { LoginThrottle, type LoginThrottleOptions, type LoginThrottleStore } from './login-throttle.js';
import { PasswordHasher, type ScryptParams } from './password-hashing.js';
import { RefreshRotations, type Rotation } from './refresh-rotations.js';
import { MemoryRevocationStore, type RevocationStore } from './revocation-store.js';
import { UserAdmin, type Actor, type NewUser } from './user-admin.js';
import type { UserRecord, UserView } from './user.js';
import { MemoryUserStore, type UserStore } from './user-store.js';
import { normalizeUsername } from './username.js';

export type { Actor, NewUser } from './user-admin.js';

/** Options of `gateway.auth`: `new Gateway({ auth: {...} })`. */
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
  /**
   * How long after a refresh token's rotation the same token may be presented again and get the
   * same new pair (a client's retry), instead of counting as a replay. 0 turns the grace off.
   * Default 15 (AGENT_GATEWAY_REFRESH_GRACE).
   */
  readonly refreshGraceSeconds?: number;
  /** Default OWASP's scrypt minimum. Lower only in tests. */
  readonly passwordHashing?: ScryptParams;
  /**
   * Bounds on password hashing: default 2 at once (AGENT_GATEWAY_LOGIN_CONCURRENCY) and 32 waiting
   * (AGENT_GATEWAY_LOGIN_QUEUE); beyond that a login is answered 503 `auth_busy` at once.
   */
  readonly hashSlots?: HashSlotOptions;
  readonly throttle?: LoginThrottleOptions;
  /** Where attempts are counted (a store shared by every process); default per process, by `throttle`. */
  readonly throttleStore?: LoginThrottleStore;
  /**
   * Identity providers whose access tokens are accepted beside the gateway's own (AGENT_GATEWAY_OIDC_*).
   * A token goes to the provider its `iss` names, and only to it. Default: none.
   */
  readonly externalIssuers?: readonly ExternalIssuerOptions[];
  /** Where an identity provider's outage is reported (the gateway passes its own). */
  readonly logger?: Logger;
  /** The clock, in epoch milliseconds (tests pass a fake one). */
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

/** What `revoke` ends: a token (its whole login session) or one token by its id. */
export type RevokeTarget = { readonly token: string } | { readonly jti: string };

/** The `iss` of the gateway's own tokens unless `issuer` says otherwise. */
export const DEFAULT_ISSUER = 'intelli-agent-gateway';

/**
 * Users, passwords and tokens: login, refresh with rotation and reuse detection, revocation of one
 * token's session or of everything, and users with roles and tool allow-lists. Every step that an
 * auditor cares about is emitted on `gateway.events` (never with a password or a token). Usernames
 * enter through `normalizeUsername`; tokens name the user instance (`uid`) as well as its name.
 */
export class TokenService {
  readonly #users: UserStore;
  readonly #revocations: RevocationStore;
  readonly #codec: JwtCodec;
  readonly #hasher: PasswordHasher;
  readonly #slots: HashSlots;
  readonly #throttle: LoginThrottleStore;
  readonly #rotations: RefreshRotations<TokenPair>;
  readonly #admin: UserAdmin;
  readonly #events: GatewayEvents;
  readonly #external: ExternalIssuers;
  readonly #now: () => number;
  /** The issuer URLs of the configured external identity providers (`[]` when none), for RFC 9728 metadata. */
  readonly authorizationServers: readonly string[];
  readonly accessTtlSeconds: number;
  readonly refreshTtlSeconds: number;

  constructor(options: TokenServiceOptions, events: GatewayEvents) {
    this.#now = options.now ?? Date.now;
    this.#users = options.userStore ?? new MemoryUserStore();
    this.#revocations = options.revocationStore ?? new MemoryRevocationStore({ now: this.#now });
    this.#external = new ExternalIssuers(options.externalIssuers ?? [], {
      localIssuer: options.issuer ?? DEFAULT_ISSUER,
      revocations: this.#revocations,
      now: this.#now,
      logger: options.logger,
    });
    this.authorizationServers = this.#external.servers;
    this.#codec = new JwtCodec({
      ...(options.signingKey === undefined ? {} : { key: options.signingKey }),
      issuer: options.issuer ?? DEFAULT_ISSUER,
      audience: options.audience ?? DEFAULT_ISSUER,
      now: this.#now,
    });
    this.#hasher = new PasswordHasher(options.passwordHashing);
    this.#slots = new HashSlots(options.hashSlots);
    this.#throttle = options.throttleStore ?? new LoginThrottle({ now: this.#now, ...options.throttle });
    this.#rotations = new RefreshRotations((options.refreshGraceSeconds ?? 15) * 1000, this.#now);
    this.#events = events;
    this.#admin = new UserAdmin({
      users: this.#users,
      events,
      now: this.#now,
      hash: (password) => this.#slots.run(() => this.#hasher.hash(password)),
    });
    this.accessTtlSeconds = options.accessTtlSeconds ?? 3600;
    this.refreshTtlSeconds = options.refreshTtlSeconds ?? 604800;
  }

  /** The token signing algorithm (pinned on verify). */
  get algorithm(): SigningKey['algorithm'] {
    return this.#codec.algorithm;
  }

  /**
   * Checks a password and issues a token pair. The attempt is counted by the throttle before the
   * slow hash starts, and the hash waits for one of the bounded slots (503 `auth_busy` when even the
   * queue is full), so a burst of guesses can neither slip past the throttle nor starve the gateway.
   */
  async login(username: string, password: string, context: { address: string }): Promise<TokenPair> {
    const { address } = context;
    const name = normalizeUsername(username);
    const admission = await this.#throttle.begin(name, address);
    if (!admission.admitted) {
      this.#events.emitSafely('auth.login_failed', { username: name, address, reason: 'throttled' });
      throw new TooManyAttemptsError(Math.max(1, Math.ceil(admission.retryAfterMs / 1000)));
    }
    const { attempt } = admission;
    let user: UserRecord | undefined;
    let ok: boolean;
    try {
      user = await this.#users.get(name);
      const known = user;
      // An unknown user costs the same scrypt run as a wrong password: timing reveals nothing.
      ok = await this.#slots.run(() => (known === undefined ? this.#hasher.verifyDecoy(password) : this.#hasher.verify(password, known.passwordHash)));
    } catch (error) {
      // No password was checked (busy, or the store failed): nothing to count for or against anyone.
      attempt.cancel();
      throw error;
    }
    if (user === undefined || !ok) {
      attempt.failed();
      this.#events.emitSafely('auth.login_failed', { username: name, address, reason: 'invalid_credentials' });
      throw new InvalidCredentialsError();
    }
    attempt.succeeded();
    if (this.#hasher.needsRehash(user.passwordHash)) user = await this.#rehash(user, password);
    const { pair } = await this.#issue(user, randomUUID());
    this.#events.emitSafely('auth.login', { username: user.username, address, tokenId: pair.tokenId });
    return pair;
  }

  /**
   * Rotates a refresh token. A retired one presented again revokes its whole session, except within
   * the grace window of its own rotation: then it gets the pair that rotation made (a client's retry).
   */
  async refresh(refreshToken: string): Promise<TokenPair> {
    const claims = await this.#codec.verify(refreshToken, 'refresh');
    // Checked on every presentation, retries included: a revoked session or a changed user gets nothing.
    await this.#assertNotRevoked(claims);
    const user = await this.#currentUser(claims);
    const recent = this.#rotations.recent(claims.jti);
    if (recent === undefined) return (await this.#rotations.start(claims.jti, () => this.#rotate(claims, user))).pair;
    const rotation = await recent;
    // Once the new refresh token has itself been used, the session has moved on: this is a replay.
    if (this.#rotations.rotated(rotation.refreshTokenId)) return this.#replayed(claims);
    this.#events.emitSafely('auth.refreshed', { username: user.username, tokenId: rotation.pair.tokenId, previousTokenId: claims.jti });
    return rotation.pair;
  }

  /** The caller an `Authorization: Bearer` header proves, or 401. */
  async authenticateHeader(header: string | undefined): Promise<Caller> {
    if (header === undefined || header === '') throw new UnauthorizedError('a bearer token is required');
    const match = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i.exec(header.trim());
    if (match?.[1] === undefined) throw new InvalidTokenError('the Authorization header must be "Bearer <token>"');
    return this.authenticate(match[1]);
  }

  /**
   * The caller an access token proves: signature, claims, revocation and the user's current state.
   * A token whose `iss` names a configured identity provider is verified with that provider's keys
   * instead (401 if bad, 403 without a role here, 503 when its keys cannot be fetched).
   */
  async authenticate(accessToken: string): Promise<Caller> {
    const external = this.#external.issuerOf(accessToken);
    if (external !== undefined) return this.#external.authenticate(external, accessToken);
    const claims = await this.#codec.verify(accessToken, 'access');
    // Asked together: with a shared store (Redis) each is a round trip, and a call waits for both anyway.
    const [, user] = await Promise.all([this.#assertNotRevoked(claims), this.#currentUser(claims)]);
    return callerOf(user, claims.jti);
  }

  /**
   * A caller acting as `username` without a token (the scheduler's `runAs`, an approved call); 401
   * if no such user, or if `userId` is given and the user of that name is another instance now.
   */
  async callerFor(username: string, userId?: string): Promise<Caller> {
    const name = normalizeUsername(username);
    const user = await this.#users.get(name);
    if (user === undefined || (userId !== undefined && user.id !== userId)) throw new InvalidTokenError(`no user named ${JSON.stringify(name)}`);
    return callerOf(user, undefined);
  }

  /**
   * The caller of a held call as they are now, when a person has approved it: a local user is looked
   * up again (`callerFor`); an external one has no record here, so it keeps the role and allow-list its
   * token gave, unless its provider is no longer configured or that token has been revoked.
   */
  async currentCaller(caller: Caller): Promise<Caller> {
    if (caller.issuer === undefined) return this.callerFor(caller.id, caller.userId);
    if (!this.#external.has(caller.issuer)) throw new InvalidTokenError('the identity provider of this caller is no longer configured');
    if (caller.tokenId !== undefined && (await this.#revocations.isTokenRevoked(caller.tokenId))) throw new InvalidTokenError('token revoked');
    return caller;
  }

  /**
   * Revokes a token and the session (refresh family) it belongs to. By `jti` (as the audit log shows
   * it) the token alone is revoked. A token this gateway did not sign is a 400; an expired one is
   * already useless and is accepted.
   */
  async revoke(target: RevokeTarget, by: Actor): Promise<{ tokenId: string; scope: 'token' | 'session' }> {
    const horizon = this.#nowSeconds() + Math.max(this.accessTtlSeconds, this.refreshTtlSeconds);
    if ('jti' in target) {
      await this.#revocations.revokeToken(target.jti, horizon);
      this.#events.emitSafely('auth.token_revoked', { by: by.actor, tokenId: target.jti, scope: 'token' });
      return { tokenId: target.jti, scope: 'token' };
    }
    // An identity provider's token has no session here: the token alone is revoked, until it expires.
    const external = this.#externalForRevocation(target.token);
    if (external !== undefined) {
      const { tokenId, expiresAt } = await this.#external.forRevocation(external, target.token);
      await this.#revocations.revokeToken(tokenId, expiresAt);
      this.#events.emitSafely('auth.token_revoked', { by: by.actor, tokenId, scope: 'token' });
      return { tokenId, scope: 'token' };
    }
    const claims = await this.#claimsForRevocation(target.token);
    await this.#revocations.revokeToken(claims.jti, claims.exp);
    await this.#revocations.revokeFamily(claims.fam, horizon);
    this.#events.emitSafely('auth.token_revoked', { by: by.actor, tokenId: claims.jti, scope: 'session' });
    return { tokenId: claims.jti, scope: 'session' };
  }

  /** Every token issued before now stops working, the caller's own included (incident response). */
  async revokeAll(by: Actor): Promise<void> {
    await this.#revocations.nextGeneration();
    this.#events.emitSafely('auth.token_revoked', { by: by.actor, tokenId: '*', scope: 'all' });
  }

  /**
   * Creates a user, or replaces an existing one's password, role and allow-list (the runbook's
   * `create_user`). A replaced user's tokens stop working at once. The name is kept in its normal
   * form; another spelling of an existing name (`Admin` for `admin`) is refused with 409.
   */
  createUser(input: NewUser, by: Actor): Promise<{ user: UserView; created: boolean }> {
    return this.#admin.create(input, by);
  }

  /** Deletes a user; their tokens stop working at once. The last admin cannot be deleted. */
  deleteUser(username: string, by: Actor): Promise<{ username: string }> {
    return this.#admin.delete(username, by);
  }

  /** Every user, without password hashes. */
  listUsers(): Promise<UserView[]> {
    return this.#admin.list();
  }

  /**
   * Creates the bootstrap admin when no user of that name exists. An existing one is left alone,
   * so a password rotated through the API survives a restart with the old variable still set.
   */
  bootstrapAdmin(username: string, password: string): Promise<{ created: boolean }> {
    return this.#admin.bootstrap(username, password);
  }

  /** The public signing key as a JWKS (empty with HS256). */
  jwks(): ReturnType<JwtCodec['jwks']> {
    return this.#codec.jwks();
  }

  async #rotate(claims: TokenClaims, user: UserRecord): Promise<Rotation<TokenPair>> {
    if (!(await this.#revocations.consumeRefreshToken(claims.jti, claims.exp))) return this.#replayed(claims);
    const rotation = await this.#issue(user, claims.fam);
    this.#events.emitSafely('auth.refreshed', { username: user.username, tokenId: rotation.pair.tokenId, previousTokenId: claims.jti });
    return rotation;
  }

  /** A used refresh token came back: one of its holders is not its owner. End the whole session. */
  async #replayed(claims: TokenClaims): Promise<never> {
    await this.#revocations.revokeFamily(claims.fam, this.#nowSeconds() + this.refreshTtlSeconds);
    this.#events.emitSafely('auth.refresh_reused', { username: claims.sub, tokenId: claims.jti });
    throw new InvalidTokenError('refresh token already used; the session it belongs to is revoked');
  }

  /** A successful login with a hash of weaker parameters than the current ones upgrades it. */
  async #rehash(user: UserRecord, password: string): Promise<UserRecord> {
    try {
      const upgraded = { ...user, passwordHash: await this.#slots.run(() => this.#hasher.hash(password)) };
      await this.#users.put(upgraded);
      return upgraded;
    } catch (error) {
      // Busy: the upgrade waits for a quieter login; the login itself has succeeded.
      if (error instanceof AuthBusyError) return user;
      throw error;
    }
  }

  async #issue(user: UserRecord, family: string): Promise<Rotation<TokenPair>> {
    const generation = await this.#revocations.currentGeneration();
    const base = { sub: user.username, uid: user.id, role: user.role, fam: family, ver: user.tokenVersion, gen: generation };
    const access = await this.#codec.sign({ ...base, typ: 'access' }, this.accessTtlSeconds);
    const refresh = await this.#codec.sign({ ...base, typ: 'refresh' }, this.refreshTtlSeconds);
    const pair: TokenPair = {
      accessToken: access.token,
      refreshToken: refresh.token,
      tokenType: 'Bearer',
      expiresIn: this.accessTtlSeconds,
      tokenId: access.claims.jti,
    };
    return { pair, refreshTokenId: refresh.claims.jti };
  }

  async #assertNotRevoked(claims: TokenClaims): Promise<void> {
    const [tokenRevoked, familyRevoked, generation] = await Promise.all([
      this.#revocations.isTokenRevoked(claims.jti),
      this.#revocations.isFamilyRevoked(claims.fam),
      this.#revocations.currentGeneration(),
    ]);
    if (tokenRevoked || familyRevoked || claims.gen < generation) throw new InvalidTokenError('token revoked');
  }

  /**
   * The token's user as they are now. Deleted, created again under the same name (another `uid`) or
   * re-passworded since issue means the token is dead.
   */
  async #currentUser(claims: TokenClaims): Promise<UserRecord> {
    const user = await this.#users.get(normalizeUsername(claims.sub));
    if (user === undefined || user.id !== claims.uid || user.tokenVersion !== claims.ver) throw new InvalidTokenError('token revoked');
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

  #externalForRevocation(token: string): ReturnType<ExternalIssuers['issuerOf']> {
    try {
      return this.#external.issuerOf(token);
    } catch {
      throw new BadRequestError('that is not a valid token issued by this gateway');
    }
  }

  #nowSeconds(): number {
    return Math.floor(this.#now() / 1000);
  }
}

function callerOf(user: UserRecord, tokenId: string | undefined): Caller {
  return {
    kind: 'user',
    id: user.username,
    userId: user.id,
    role: user.role,
    ...(tokenId === undefined ? {} : { tokenId }),
    ...(user.tools === undefined ? {} : { allowedTools: user.tools }),
  };
}
