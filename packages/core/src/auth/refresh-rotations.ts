/** What one rotation produced: the new pair, and the id of its refresh token. */
export interface Rotation<Pair> {
  readonly pair: Pair;
  readonly refreshTokenId: string;
}

interface Entry<Pair> {
  readonly startedAt: number;
  readonly result: Promise<Rotation<Pair>>;
}

/** Bound on remembered rotations, so a flood of refreshes cannot exhaust memory. */
const MAX_ENTRIES = 10_000;

/**
 * The refresh grace window, as Auth0 and Okta offer it: a client that sends the same refresh token
 * twice (a retry after a lost answer, two threads racing) within `graceMs` of its rotation gets the
 * pair that rotation made, instead of having its session revoked as a replay. Kept in memory, per
 * process; after the window, or once the new refresh token has itself been used, a replay is a
 * replay again.
 */
export class RefreshRotations<Pair> {
  readonly graceMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry<Pair>>();

  constructor(graceMs: number, now: () => number) {
    if (!Number.isFinite(graceMs) || graceMs < 0) throw new RangeError('the refresh grace window must be 0 or more');
    this.graceMs = graceMs;
    this.#now = now;
  }

  /** The rotation of the refresh token `jti`, if one started less than `graceMs` ago. */
  recent(jti: string): Promise<Rotation<Pair>> | undefined {
    const entry = this.#entries.get(jti);
    if (entry === undefined) return undefined;
    if (this.#now() - entry.startedAt < this.graceMs) return entry.result;
    this.#entries.delete(jti);
    return undefined;
  }

  /** Whether the refresh token `jti` has been rotated within the window (its successor is in use). */
  rotated(jti: string): boolean {
    return this.recent(jti) !== undefined;
  }

  /**
   * Runs the rotation of `jti` and remembers it. Called in the same synchronous step as `recent`,
   * so a concurrent retry finds the rotation while it is still being made. A failed rotation is
   * forgotten: a later presentation goes through the full check again.
   */
  start(jti: string, rotate: () => Promise<Rotation<Pair>>): Promise<Rotation<Pair>> {
    const result = rotate();
    if (this.graceMs === 0) return result;
    this.#sweep();
    this.#entries.set(jti, { startedAt: this.#now(), result });
    result.catch(() => {
      if (this.#entries.get(jti)?.result === result) this.#entries.delete(jti);
    });
    return result;
  }

  /** Entries are in start order: drop the expired ones at the old end, and any past the bound. */
  #sweep(): void {
    const now = this.#now();
    for (const [jti, entry] of this.#entries) {
      if (now - entry.startedAt < this.graceMs && this.#entries.size < MAX_ENTRIES) break;
      this.#entries.delete(jti);
    }
  }
}
