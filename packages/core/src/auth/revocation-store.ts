/**
 * What has been revoked, until it would have expired anyway. Times are epoch seconds. The memory
 * default forgets on restart (which, with a generated signing key, invalidates every token anyway);
 * a shared store lets several gateway processes agree.
 */
export interface RevocationStore {
  /** Refuses the token with this id until `expiresAt` (epoch seconds), when it would have expired anyway. */
  revokeToken(jti: string, expiresAt: number): Promise<void>;
  /** Whether the token with this id was revoked. */
  isTokenRevoked(jti: string): Promise<boolean>;
  /**
   * Marks a refresh token as used. Resolves `false` if it had been used already: a replay. Must be
   * atomic, so that of two concurrent refreshes with one token exactly one wins.
   */
  consumeRefreshToken(jti: string, expiresAt: number): Promise<boolean>;
  /** Ends a login session: every token descending from that login, until `expiresAt` (epoch seconds). */
  revokeFamily(family: string, expiresAt: number): Promise<void>;
  /** Whether the login session was ended. */
  isFamilyRevoked(family: string): Promise<boolean>;
  /** Tokens carry the generation they were issued in; `revokeAll` moves to the next one. */
  currentGeneration(): Promise<number>;
  /** Moves to the next generation (a revoke-all): every token issued before is refused from now on. */
  nextGeneration(): Promise<number>;
  /**
   * When the last revoke-all happened (epoch seconds; undefined: never). Tokens of an external identity
   * provider carry no generation, so a revoke-all ends those issued up to this moment. A store without
   * it cannot end them: they then live until they expire or are revoked by `jti`.
   */
  revokedAllAt?(): Promise<number | undefined>;
}

const SWEEP_EVERY_MS = 60_000;

/** Everything a revocation store knows, as plain data (what the file store writes). */
export interface RevocationSnapshot {
  readonly revoked: Record<string, number>;
  readonly consumed: Record<string, number>;
  readonly families: Record<string, number>;
  readonly generation: number;
  /** When `generation` was last raised (epoch seconds). */
  readonly generationAt?: number;
}

export class MemoryRevocationStore implements RevocationStore {
  readonly #revoked = new Map<string, number>();
  readonly #consumed = new Map<string, number>();
  readonly #families = new Map<string, number>();
  readonly #now: () => number;
  #generation = 0;
  #generationAt: number | undefined;
  #lastSweep = 0;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  async revokeToken(jti: string, expiresAt: number): Promise<void> {
    this.#sweep();
    // Never lowered: revoking by jti alone (a horizon) after revoking the token itself (its own expiry) must not end the first.
    this.#revoked.set(jti, Math.max(expiresAt, this.#revoked.get(jti) ?? 0));
  }

  async isTokenRevoked(jti: string): Promise<boolean> {
    return this.#revoked.has(jti);
  }

  async consumeRefreshToken(jti: string, expiresAt: number): Promise<boolean> {
    this.#sweep();
    if (this.#consumed.has(jti)) return false;
    this.#consumed.set(jti, expiresAt);
    return true;
  }

  async revokeFamily(family: string, expiresAt: number): Promise<void> {
    this.#sweep();
    this.#families.set(family, Math.max(expiresAt, this.#families.get(family) ?? 0));
  }

  async isFamilyRevoked(family: string): Promise<boolean> {
    return this.#families.has(family);
  }

  async currentGeneration(): Promise<number> {
    return this.#generation;
  }

  async nextGeneration(): Promise<number> {
    this.#generation += 1;
    this.#generationAt = Math.floor(this.#now() / 1000);
    return this.#generation;
  }

  async revokedAllAt(): Promise<number | undefined> {
    return this.#generationAt;
  }

  /** What the store holds, for saving to a file (`FileRevocationStore`). */
  snapshot(): RevocationSnapshot {
    this.#sweep(true);
    return {
      revoked: Object.fromEntries(this.#revoked),
      consumed: Object.fromEntries(this.#consumed),
      families: Object.fromEntries(this.#families),
      generation: this.#generation,
      ...(this.#generationAt === undefined ? {} : { generationAt: this.#generationAt }),
    };
  }

  /** Takes back what `snapshot` saved. */
  restore(snapshot: RevocationSnapshot): void {
    for (const [key, value] of Object.entries(snapshot.revoked)) this.#revoked.set(key, value);
    for (const [key, value] of Object.entries(snapshot.consumed)) this.#consumed.set(key, value);
    for (const [key, value] of Object.entries(snapshot.families)) this.#families.set(key, value);
    this.#generation = Math.max(this.#generation, snapshot.generation);
    if (snapshot.generationAt !== undefined) this.#generationAt = Math.max(this.#generationAt ?? 0, snapshot.generationAt);
  }

  /** Drops entries whose tokens have expired: they would be refused for that reason alone. */
  #sweep(force = false): void {
    const now = this.#now();
    if (!force && now - this.#lastSweep < SWEEP_EVERY_MS) return;
    this.#lastSweep = now;
    const nowSeconds = now / 1000;
    for (const map of [this.#revoked, this.#consumed, this.#families]) {
      for (const [key, expiresAt] of map) if (expiresAt < nowSeconds) map.delete(key);
    }
  }
}
