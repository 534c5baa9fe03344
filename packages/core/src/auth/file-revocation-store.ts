import { z } from 'zod';
import { JsonFileState } from '../storage/json-file-state.js';
import { MemoryRevocationStore, type RevocationSnapshot, type RevocationStore } from './revocation-store.js';

const expiries = z.record(z.string(), z.number());
const fileSchema = z.object({ revoked: expiries, consumed: expiries, families: expiries, generation: z.number().int().nonnegative(), generationAt: z.number().optional() });

/**
 * Revocations kept in a JSON file (atomic writes), so that with a fixed signing secret a restart does
 * not bring revoked tokens, used refresh tokens or a revoke-all back to life. Decisions are made in
 * memory (atomic within the process) and each change is written before its call resolves.
 */
export class FileRevocationStore implements RevocationStore {
  readonly #memory: MemoryRevocationStore;
  readonly #file: JsonFileState<RevocationSnapshot>;

  private constructor(path: string, memory: MemoryRevocationStore) {
    this.#memory = memory;
    this.#file = new JsonFileState(path, fileSchema);
  }

  /** Opens the store kept in a JSON file, loading what it holds (no file yet: nothing revoked). */
  static async open(path: string, options: { now?: () => number } = {}): Promise<FileRevocationStore> {
    const store = new FileRevocationStore(path, new MemoryRevocationStore(options));
    const stored = await store.#file.load();
    if (stored !== undefined) store.#memory.restore(stored);
    return store;
  }

  async revokeToken(jti: string, expiresAt: number): Promise<void> {
    await this.#memory.revokeToken(jti, expiresAt);
    await this.#save();
  }

  isTokenRevoked(jti: string): Promise<boolean> {
    return this.#memory.isTokenRevoked(jti);
  }

  async consumeRefreshToken(jti: string, expiresAt: number): Promise<boolean> {
    const first = await this.#memory.consumeRefreshToken(jti, expiresAt);
    if (first) await this.#save();
    return first;
  }

  async revokeFamily(family: string, expiresAt: number): Promise<void> {
    await this.#memory.revokeFamily(family, expiresAt);
    await this.#save();
  }

  isFamilyRevoked(family: string): Promise<boolean> {
    return this.#memory.isFamilyRevoked(family);
  }

  currentGeneration(): Promise<number> {
    return this.#memory.currentGeneration();
  }

  revokedAllAt(): Promise<number | undefined> {
    return this.#memory.revokedAllAt();
  }

  async nextGeneration(): Promise<number> {
    const generation = await this.#memory.nextGeneration();
    await this.#save();
    return generation;
  }

  #save(): Promise<void> {
    return this.#file.save(this.#memory.snapshot());
  }
}
