import { randomUUID } from 'node:crypto';
import { createContext, Script } from 'node:vm';
import safeRegex from 'safe-regex2';
import { z } from 'zod';
import { BadRequestError, NotFoundError } from '../errors/index.js';
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
export type ContentRuleInput = z.infer<typeof contentRuleInputSchema>;

const ruleSchema = contentRuleInputSchema.extend({ id: z.string(), created_at: z.string(), created_by: z.string() });
export type ContentRule = z.infer<typeof ruleSchema>;
const fileSchema = z.object({ version: z.literal(1), rules: z.array(ruleSchema) });

interface Compiled {
  readonly rule: ContentRule;
  readonly test: (text: string) => boolean;
}

/** How long one regex may run on one call's args before the call is blocked instead. */
export const REGEX_TIME_LIMIT_MS = 50;

// Regexes run in a vm context with a timeout: V8 can interrupt a runaway backtracking match there.
const regexScript = new Script('regex.test(input)');
const regexContext = createContext({ regex: /(?:)/, input: '' });

function compile(rule: ContentRule): Compiled {
  if (rule.kind === 'literal') {
    const needle = rule.pattern.toLowerCase();
    return { rule, test: (text) => text.toLowerCase().includes(needle) };
  }
  const regex = new RegExp(rule.pattern, (rule.flags ?? '').replace(/[gy]/g, ''));
  return {
    rule,
    test: (text) => {
      regexContext.regex = regex;
      regexContext.input = text;
      return regexScript.runInContext(regexContext, { timeout: REGEX_TIME_LIMIT_MS }) === true;
    },
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

  constructor(path?: string) {
    this.#file = path === undefined ? undefined : new JsonFileState(path, fileSchema);
  }

  async load(): Promise<void> {
    const stored = await this.#file?.load();
    if (stored !== undefined) this.#rules = stored.rules.map(compile);
  }

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
    this.#rules = [...this.#rules, compile(rule)];
    await this.#persist();
    return rule;
  }

  async remove(id: string): Promise<void> {
    const before = this.#rules.length;
    this.#rules = this.#rules.filter((compiled) => compiled.rule.id !== id);
    if (this.#rules.length === before) throw new NotFoundError(`no content-filter rule ${JSON.stringify(id)}`);
    await this.#persist();
  }

  /** Step: 403 with the rule's id when any rule matches the args. */
  check(args: unknown): void {
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
