import { auditActorOf } from '../audit/audit-entry.js';
import type { AuditLog } from '../audit/audit-log.js';
import { BadRequestError } from '../errors/index.js';
import type { Caller } from '../pipeline/caller.js';
import { normalizeOrigin } from './origin.js';
import type { RedactionRules } from './redaction-rules.js';
import { scrubSecrets } from './scrub-secrets.js';
import { scrubSecretText } from './secret-text.js';
import type { TabSnapshot } from './tab-snapshot.js';

/** A tab shared with agents (`PUT /tab/snapshot`): its origin or URL, title and content, stored redacted. */
export interface TabShareInput {
  readonly origin?: string | undefined;
  readonly url?: string | undefined;
  readonly title: string;
  readonly content: unknown;
}

/**
 * The user's shared tab and the per-origin rules that redact it: both changes are audited, and
 * only the redacted copy of a snapshot is ever kept.
 */
export class TabSharing {
  readonly #redaction: RedactionRules;
  readonly #audit: AuditLog | undefined;
  #current: TabSnapshot | undefined;

  constructor(redaction: RedactionRules, audit: AuditLog | undefined) {
    this.#redaction = redaction;
    this.#audit = audit;
  }

  /** The snapshot agents may read now, if one was shared. */
  get current(): TabSnapshot | undefined {
    return this.#current;
  }

  /** Replaces an origin's redaction fields, persists them and audits the change. */
  async setRules(origin: string, fields: readonly string[], by: Caller): Promise<{ origin: string; fields: string[] }> {
    const rules = await this.#redaction.set(origin, fields);
    await this.#audit?.append('redaction_rules_set', auditActorOf(by), rules);
    return rules;
  }

  /**
   * Stores the user's current tab for agents to read, redacted by its origin's rules first (the
   * original is never kept), and audits the share as the user's consent record.
   */
  async share(input: TabShareInput, by: Caller): Promise<TabSnapshot> {
    const source = input.origin ?? input.url;
    if (source === undefined) throw new BadRequestError('a snapshot needs its origin or url');
    const origin = normalizeOrigin(source, { fromUrl: input.origin === undefined });
    const snapshot: TabSnapshot = {
      origin,
      ...(input.url === undefined ? {} : { url: scrubSecretText(input.url) }),
      title: scrubSecretText(input.title),
      content: scrubSecrets(this.#redaction.redact(origin, input.content)),
      shared_at: new Date().toISOString(),
      shared_by: by.id,
    };
    await this.#audit?.append('tab_snapshot_shared', auditActorOf(by), {
      origin,
      title: snapshot.title,
      redacted_fields: (await this.#redaction.get(origin)).fields,
    });
    this.#current = snapshot;
    return snapshot;
  }
}
