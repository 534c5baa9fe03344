import { randomUUID } from 'node:crypto';
import safeRegex from 'safe-regex2';
import { z } from 'zod';
import { BadRequestError, NotFoundError } from '../errors/index.js';
import { timeLimitedTest } from '../regex/index.js';
import { JsonFileState } from '../storage/json-file-state.js';
import { ContentBlockedError } from './guard-errors.js';

export const contentRuleInputSchema = z
  .object({
    kind: z.enum(['literal', 'regex']),
    pattern: z.string().min(1).max(1000),
    /** Regex flags among `i`, `m`, `s`, `u`. */
    flags: z.string().regex(/^[imsu]{0,4}$/, 'flags may be i, m, s, u').optional(),
    description: z.string().max(500).optional(),
  })
  .strict();
/**
 * A content-filter rule as an admin gives it: a literal or a regex (with flags) refused in any string of a
 * call's args.
 */
export type ContentRuleInput = z.infer<typeof contentRuleInputSchema>;

const ruleSchema = contentRuleInputSchema.extend({ id: z.string(), created_at: z.string(), created_by: z.string() });
/** A stored content-filter rule: the input, its id, and when and by whom it was added. */
export type ContentRule = z.infer<typeof ruleSchema>;
/** The zod schema of a stored content-filter rule, for stores that read them back. */
export const contentRuleSchema = ruleSchema;

/**
 * Where the rules live when several processes share them (Redis, a database). The filter keeps a
 * compiled copy, since `check` runs synchronously on every call; the store keeps it current.
 */
export interface ContentRuleStore {
  /** Every rule stored. */
  load(): Promise<ContentRule[]>;
  /** Stores a new rule. */
  add(rule: ContentRule): Promise<void>;
  /** `false` when there was no such rule. */
  remove(id: string): Promise<boolean>;
  /** Calls `onChange` with the rules whenever any process changed them; returns a stop function. */
  watch?(onChange: (rules: ContentRule[]) => void): () => void;
  /** Throws (503) when the copy can no longer be vouched for: calls are refused then. */
  assertCurrent?(): void;
}

/**
 * Where the content filter keeps its rules: `new ContentFilter({ path })` or `{ store }`; default in memory.
 */
export interface ContentFilterOptions {
  /** A JSON file, as `new ContentFilter(path)`. */
  readonly path?: string;
  /** A shared store; takes the place of the file. */
  readonly store?: ContentRuleStore;
}
const fileSchema = z.object({ version: z.literal(1), rules: z.array(ruleSchema) });

interface Compiled {
  readonly rule: ContentRule;
  readonly test: (text: string) => boolean;
}

/** How much CPU time one regex may take on one call's args before the call is blocked instead. */
export const REGEX_TIME_LIMIT_MS = 50;

function compile(rule: ContentRule): Compiled {
  if (rule.kind === 'literal') {
    const needle = rule.pattern.toLowerCase();
    return { rule, test: (text) => text.toLowerCase().includes(needle) };
  }
  const regex = new RegExp(rule.pattern, (rule.flags ?? '').replace(/[gy]/g, ''));
  return {
    rule,
    test: (text) => timeLimitedTest(regex, text, REGEX_TIME_LIMIT_MS),
  };
}

/** Every string in the args, keys included, joined: what the rules are matched against. */
function textOf(value: unknown): string {
  const parts: string[] = [];
  const stack: unknown[] = [value];
  for (let item = stack.pop(); item !== undefined || stack.length > 0; item = stack.pop()) {
    if (typeof item === 'string') parts.push(item);
    else if (typeof item === 'number' || typeof item === 'boolean') parts.push(String(item));
    else if (Array.isArray(item)) stack.push(...item);
    else if (item !== null && typeof item === 'object') {
      for (const [key, child] of Object.entries(item)) {
        parts.push(key);
        stack.push(child);
      }
    }
  }
  return parts.join('\n');
}

/**
 * Literal and regex deny rules over tool-call args. A regex with nested quantifiers is refused when
 * added (safe-regex2), and every regex runs with a time limit anyway, so a bad rule cannot hang the
 * gateway: a rule that runs out of time blocks the call (fail closed).
 */
export class ContentFilter {
  #rules: Compiled[] = [];
  readonly #file: JsonFileState<z.infer<typeof fileSchema>> | undefined;
  readonly #store: ContentRuleStore | undefined;
  #unwatch: (() => void) | undefined;

  constructor(pathOrOptions?: string | ContentFilterOptions) {
    const options = typeof pathOrOptions === 'string' ? { path: pathOrOptions } : (pathOrOptions ?? {});
    this.#store = options.store;
    this.#file = options.store !== undefined || options.path === undefined ? undefined : new JsonFileState(options.path, fileSchema);
  }

  /**
   * Reads the rules from the file or store (and starts watching a shared store); call once before serving.
   */
  async load(): Promise<void> {
    if (this.#store !== undefined) {
      // Watching first: if the shared store is down now, the rules still arrive once it is back.
      this.#unwatch ??= this.#store.watch?.((rules) => {
        this.#rules = rules.map(compile);
      });
      this.#rules = (await this.#store.load()).map(compile);
      return;
    }
    const stored = await this.#file?.load();
    if (stored !== undefined) this.#rules = stored.rules.map(compile);
  }

  /** Stops following the shared store's changes. */
  close(): void {
    this.#unwatch?.();
    this.#unwatch = undefined;
  }

  /** The rules in force. */
  list(): ContentRule[] {
    return this.#rules.map((compiled) => compiled.rule);
  }

  /** Adds a rule. `allowUnsafe` skips the backtracking check (the time limit still applies). */
  async add(input: ContentRuleInput, by: string, options: { allowUnsafe?: boolean } = {}): Promise<ContentRule> {
    if (input.kind === 'regex') {
      try {
        new RegExp(input.pattern, input.flags);
      } catch (error) {
        throw new BadRequestError(`invalid regular expression: ${(error as Error).message}`);
      }
      if (options.allowUnsafe !== true && !safeRegex(input.pattern)) {
        throw new BadRequestError('this regular expression can backtrack catastrophically (nested quantifiers); rewrite it');
      }
    }
    const rule: ContentRule = { ...input, id: randomUUID().slice(0, 8), created_at: new Date().toISOString(), created_by: by };
    const compiled = compile(rule);
    // A shared store is written first: a rule the others did not get must not look added here.
    await this.#store?.add(rule);
    this.#rules = [...this.#rules.filter((known) => known.rule.id !== rule.id), compiled];
    await this.#persist();
    return rule;
  }

  /** Removes a rule; `404 not_found` when there is no rule of that id. */
  async remove(id: string): Promise<void> {
    if (this.#store !== undefined) {
      if (!(await this.#store.remove(id))) throw new NotFoundError(`no content-filter rule ${JSON.stringify(id)}`);
      this.#rules = this.#rules.filter((compiled) => compiled.rule.id !== id);
      return;
    }
    const before = this.#rules.length;
    this.#rules = this.#rules.filter((compiled) => compiled.rule.id !== id);
    if (this.#rules.length === before) throw new NotFoundError(`no content-filter rule ${JSON.stringify(id)}`);
    await this.#persist();
  }

  /** Step: 403 with the rule's id when any rule matches the args. */
  check(args: unknown): void {
    // Rules a shared store cannot vouch for may lack one just added elsewhere: refuse (503), never allow.
    this.#store?.assertCurrent?.();
    if (this.#rules.length === 0) return;
    const text = textOf(args);
    for (const compiled of this.#rules) {
      let matched: boolean;
      try {
        matched = compiled.test(text);
      } catch {
        throw new ContentBlockedError(compiled.rule.id, 'timeout');
      }
      if (matched) throw new ContentBlockedError(compiled.rule.id, 'match');
    }
  }

  async #persist(): Promise<void> {
    await this.#file?.save({ version: 1, rules: this.list() });
  }
}
