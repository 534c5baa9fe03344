import { z } from 'zod';
import { JsonFileState } from '../storage/json-file-state.js';

const stateSchema = z.object({
  enabled: z.boolean(),
  reason: z.string().max(1000).optional(),
  changed_at: z.string().optional(),
  changed_by: z.string().optional(),
});
export type KillSwitchState = z.infer<typeof stateSchema>;

/**
 * While on, every tool call is refused (423). The state is kept in a file when a path is given, so a
 * restart does not silently turn it off. Reads are synchronous: the pipeline checks it on every call.
 */
export class KillSwitch {
  #state: KillSwitchState = { enabled: false };
  readonly #file: JsonFileState<KillSwitchState> | undefined;

  constructor(path?: string) {
    this.#file = path === undefined ? undefined : new JsonFileState(path, stateSchema);
  }

  async load(): Promise<void> {
    const stored = await this.#file?.load();
    if (stored !== undefined) this.#state = stored;
  }

  get state(): KillSwitchState {
    return this.#state;
  }

  get enabled(): boolean {
    return this.#state.enabled;
  }

  /** Flips the switch now (in memory, so the next call sees it), then persists it. */
  async set(enabled: boolean, reason: string | undefined, by: string): Promise<KillSwitchState> {
    this.#state = { enabled, ...(reason === undefined ? {} : { reason }), changed_at: new Date().toISOString(), changed_by: by };
    await this.#file?.save(this.#state);
    return this.#state;
  }
}
