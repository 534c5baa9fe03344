import { z } from 'zod';
import { SerialQueue } from '../storage/atomic-file.js';
import { JsonFileState } from '../storage/json-file-state.js';
import { taskInputSchema, type TaskDefinition } from './schedule.js';

/** A change to the stored tasks: the list as it is now in, the list to store out. */
export type TaskChange = (tasks: readonly TaskDefinition[]) => TaskDefinition[];

/**
 * Where the scheduler keeps task definitions: a JSON file or memory for one process, or a store
 * shared by several (Redis), where a change made by one process reaches the others. The scheduler
 * keeps its timers, run counts and history itself; the store holds only the definitions.
 */
export interface TaskStore {
  /** The stored tasks ([] when none). A file that does not parse stops the start; a shared store that cannot be reached rejects with 503. */
  load(): Promise<TaskDefinition[]>;
  /**
   * Applies `change` to the tasks as stored, as one atomic step, and resolves with the tasks as stored
   * after it. A shared store calls `change` again on the newer list when another process wrote in
   * between (so nothing either wrote is lost): it must be pure. What `change` throws rejects the
   * update, with nothing written. A store with `watch` has told its listeners of the resulting list
   * (or a newer one) before it resolves.
   */
  update(change: TaskChange): Promise<TaskDefinition[]>;
  /**
   * Calls `onChange` with the whole list whenever it changes (on any process), in the order the
   * changes were stored; returns a stop function. Without it, only this process changes the tasks.
   */
  watch?(onChange: (tasks: TaskDefinition[]) => void): () => void;
}

/** One process, nothing kept across a restart: the scheduler's default without a path. */
export class MemoryTaskStore implements TaskStore {
  #tasks: TaskDefinition[] = [];

  async load(): Promise<TaskDefinition[]> {
    return [...this.#tasks];
  }

  async update(change: TaskChange): Promise<TaskDefinition[]> {
    this.#tasks = change(this.#tasks);
    return [...this.#tasks];
  }
}

const fileSchema = z.object({ version: z.literal(1), tasks: z.array(taskInputSchema) });

/**
 * Tasks in one JSON file (`{ version: 1, tasks }`, atomic writes), for one process. Each update
 * reads the file again and writes it in call order, so updates on this process never undo each other.
 */
export class FileTaskStore implements TaskStore {
  readonly #file: JsonFileState<z.infer<typeof fileSchema>>;
  readonly #writes = new SerialQueue();

  constructor(path: string) {
    this.#file = new JsonFileState(path, fileSchema);
  }

  get path(): string {
    return this.#file.path;
  }

  async load(): Promise<TaskDefinition[]> {
    return (await this.#file.load())?.tasks ?? [];
  }

  update(change: TaskChange): Promise<TaskDefinition[]> {
    return this.#writes.run(async () => {
      const tasks = change(await this.load());
      await this.#file.save({ version: 1, tasks });
      return tasks;
    });
  }
}
