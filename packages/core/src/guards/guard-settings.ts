import { auditActorOf } from '../audit/audit-entry.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Logger } from '../logging/logger.js';
import type { Caller } from '../pipeline/caller.js';
import type { ContentFilter, ContentRule, ContentRuleInput } from './content-filter.js';
import type { KillSwitch, KillSwitchState } from './kill-switch.js';

export interface GuardSettingsDeps {
  readonly killSwitch: KillSwitch;
  readonly contentFilter: ContentFilter;
  readonly audit: AuditLog | undefined;
  readonly logger: Logger;
}

/**
 * What an operator changes about the guards, each change persisted by its store and audited with
 * who made it. The guards themselves (`KillSwitch`, `ContentFilter`) know nothing of the audit log.
 */
export class GuardSettings {
  readonly #deps: GuardSettingsDeps;

  constructor(deps: GuardSettingsDeps) {
    this.#deps = deps;
  }

  /** Turns the kill switch on or off, persists it and audits who did it. */
  async setKillSwitch(enabled: boolean, reason: string | undefined, by: Caller): Promise<KillSwitchState> {
    const state = await this.#deps.killSwitch.set(enabled, reason, by.id);
    await this.#deps.audit?.append('kill_switch', auditActorOf(by), { enabled, ...(reason === undefined ? {} : { reason }) });
    this.#deps.logger.warn(`kill switch ${enabled ? 'ON' : 'off'}`, { by: by.id, reason });
    return state;
  }

  /** Adds a content-filter rule and records who added it in the audit log. */
  async addContentRule(input: ContentRuleInput, by: Caller): Promise<ContentRule> {
    const rule = await this.#deps.contentFilter.add(input, by.id);
    await this.#deps.audit?.append('content_filter_rule_added', auditActorOf(by), { rule });
    return rule;
  }

  /** Removes a content-filter rule and records who removed it in the audit log. */
  async removeContentRule(id: string, by: Caller): Promise<void> {
    await this.#deps.contentFilter.remove(id);
    await this.#deps.audit?.append('content_filter_rule_removed', auditActorOf(by), { id });
  }
}
