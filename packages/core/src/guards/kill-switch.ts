import { z } from 'zod';
import { JsonFileState } from '../storage/json-file-state.js';

const stateSchema = z.object({
  enabled: z.boolean(),
  reason: z.string().max(1000).optional(),
  changed_at: z.string().optional(),
  changed_by: z.string().optional(),
});
/** The kill switch as stored: on or off, why, and when and by whom it was last changed. */
export type KillSwitchState = z.infer<typeof stateSchema>;
/** The zod schema of the stored kill-switch state, for stores that read it back. */
export const killSwitchStateSchema = stateSchema;

/**
 * Where the switch lives when it is shared by several processes (Redis, a database). The switch keeps
 * a copy in memory, because the pipeline reads it synchronously on every call; the store keeps that
 * copy current and says when it cannot.
 */
export interface KillSwitchStore {
  /** The stored state; undefined when it was never set. */
  load(): Promise<KillSwitchState | undefined>;
  /** Stores the new state (and tells the other processes, for a shared store). */
  save(state: KillSwitchState): Promise<void>;
  /** Calls `onChange` whenever the store reads a state (a change made by any process); returns a stop function. */
  watch?(onChange: (state: KillSwitchState) => void): () => void;
  /** Throws (503) when the copy can no longer be vouched for (the store is unreachable): calls are refused then. */
  assertCurrent?(): void;
}

/** Where the kill switch keeps its state: `new KillSwitch({ path })` or `{ store }`; default in memory. */
export interface KillSwitchOptions {
  /** A JSON file, as `new KillSwitch(path)`. */
  readonly path?: string;
  /** A shared store; takes the place of the file. */
  readonly store?: KillSwitchStore;
}

/**
 * While on, every tool call is refused (423). The state is kept in a file when a path is given, so a
 * restart does not silently turn it off, or in a shared store. Reads are synchronous: the pipeline
 * checks it on every call.
 */
export class KillSwitch {
  #state: KillSwitchState = { enabled: false };
  readonly #file: JsonFileState<KillSwitchState> | undefined;
  readonly #store: KillSwitchStore | undefined;
  #unwatch: (() => void) | undefined;

  constructor(pathOrOptions?: string | KillSwitchOptions) {
    const options = typeof pathOrOptions === 'string' ? { path: pathOrOptions } : (pathOrOptions ?? {});
    this.#store = options.store;
    this.#file = options.store !== undefined || options.path === undefined ? undefined : new JsonFileState(options.path, stateSchema);
  }

  /**
   * Reads the state from the file or store (and starts watching a shared store); call once before serving.
   */
  async load(): Promise<void> {
    // Watching first: if the shared store is down now, the state still arrives once it is back.
    this.#unwatch ??= this.#store?.watch?.((state) => {
      this.#state = state;
    });
    const stored = this.#store === undefined ? await this.#file?.load() : await this.#store.load();
    if (stored !== undefined) this.#state = stored;
  }

  get state(): KillSwitchState {
    return this.#state;
  }

  /** The last state known; with a shared store, call `assertCurrent()` first to know it is current. */
  get enabled(): boolean {
    return this.#state.enabled;
  }

  /** Throws 503 `state_unavailable` when a shared store cannot vouch for `enabled` (fail closed); never for a file. */
  assertCurrent(): void {
    this.#store?.assertCurrent?.();
  }

  /** Flips the switch now (in memory, so the next call sees it), then persists it. */
  async set(enabled: boolean, reason: string | undefined, by: string): Promise<KillSwitchState> {
    const state: KillSwitchState = { enabled, ...(reason === undefined ? {} : { reason }), changed_at: new Date().toISOString(), changed_by: by };
    // A shared store is written first: a switch that did not reach the others must not look set here.
    if (this.#store !== undefined) await this.#store.save(state);
    this.#state = state;
    await this.#file?.save(this.#state);
    return this.#state;
  }

  /** Stops following the shared store's changes. */
  close(): void {
    this.#unwatch?.();
    this.#unwatch = undefined;
  }
}
