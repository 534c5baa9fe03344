import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog, ContentFilter, KillSwitch, silentLogger, type Caller } from '../../src/index.js';
import { GuardSettings } from '../../src/guards/guard-settings.js';
import { ContentBlockedError, KillSwitchOnError, RateLimitedError } from '../../src/guards/guard-errors.js';
import { recordingLogger, type LogLine } from '../support/recording-logger.js';

// What an operator changes about the guards, and who did it (issue 24: guard-settings.ts and
// guard-errors.ts had no test of their own; the HTTP suites that reach them run outside the group).

const admin: Caller = { kind: 'user', id: 'ann', role: 'admin', tokenId: 'jti-1' };

let dir: string;
let audit: AuditLog;
let lines: LogLine[];
let settings: GuardSettings;
let killSwitch: KillSwitch;
let contentFilter: ContentFilter;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'guard-settings-'));
  audit = await AuditLog.open(join(dir, 'audit.log'));
  const logger = recordingLogger();
  lines = logger.lines;
  killSwitch = new KillSwitch();
  contentFilter = new ContentFilter();
  settings = new GuardSettings({ killSwitch, contentFilter, audit, logger });
});
afterEach(async () => {
  await audit.close();
  await rm(dir, { recursive: true, force: true });
});

const actor = { type: 'user', user: 'ann', role: 'admin', jti: 'jti-1' };

describe('GuardSettings', () => {
  it('the kill switch: set, audited with who and why (no reason key when none is given), and logged as a warning', async () => {
    await expect(settings.setKillSwitch(true, 'incident 42', admin)).resolves.toMatchObject({ enabled: true, reason: 'incident 42', changed_by: 'ann' });
    expect(killSwitch.enabled).toBe(true);
    await settings.setKillSwitch(false, undefined, admin);
    expect(killSwitch.enabled).toBe(false);
    const events = await audit.tail(10, { event: 'kill_switch' });
    expect(events.map(({ actor: who, details }) => ({ who, details }))).toEqual([
      { who: actor, details: { enabled: true, reason: 'incident 42' } },
      { who: actor, details: { enabled: false } },
    ]);
    expect(lines).toEqual([
      ['warn', 'kill switch ON', { by: 'ann', reason: 'incident 42' }],
      ['warn', 'kill switch off', { by: 'ann', reason: undefined }],
    ]);
  });

  it('content rules: added and removed through the filter, each audited with who and what', async () => {
    const rule = await settings.addContentRule({ kind: 'literal', pattern: 'rm -rf' }, admin);
    expect(contentFilter.list()).toEqual([rule]);
    expect(rule).toMatchObject({ kind: 'literal', pattern: 'rm -rf', created_by: 'ann' });
    await settings.removeContentRule(rule.id, admin);
    expect(contentFilter.list()).toEqual([]);
    const events = [...(await audit.tail(10, { event: 'content_filter_rule_added' })), ...(await audit.tail(10, { event: 'content_filter_rule_removed' }))];
    expect(events).toMatchObject([
      { event: 'content_filter_rule_added', actor, details: { rule: JSON.parse(JSON.stringify(rule)) as unknown } },
      { event: 'content_filter_rule_removed', actor, details: { id: rule.id } },
    ]);
  });

  it('without an audit log, changes still apply', async () => {
    const bare = new GuardSettings({ killSwitch, contentFilter, audit: undefined, logger: silentLogger });
    await bare.setKillSwitch(true, undefined, admin);
    expect(killSwitch.enabled).toBe(true);
    const rule = await bare.addContentRule({ kind: 'literal', pattern: 'x' }, admin);
    await bare.removeContentRule(rule.id, admin);
    expect(contentFilter.list()).toEqual([]);
  });
});

describe('the guards\' errors', () => {
  it('kill switch on: 423, the same message for everyone, the reason only when there is one', () => {
    for (const error of [new KillSwitchOnError(), new KillSwitchOnError(''), new KillSwitchOnError('incident 42')]) {
      expect(error).toMatchObject({ name: 'KillSwitchOnError', status: 423, code: 'kill_switch_on', message: 'the kill switch is on; tool calls are refused' });
    }
    expect(new KillSwitchOnError().details).toBeUndefined();
    expect(new KillSwitchOnError('').details).toBeUndefined();
    expect(new KillSwitchOnError('incident 42').details).toEqual({ reason: 'incident 42' });
  });

  it('rate limited: 429 with the scope and Retry-After', () => {
    expect(new RateLimitedError('user ann', 3)).toMatchObject({
      name: 'RateLimitedError',
      status: 429,
      code: 'rate_limited',
      message: 'rate limit reached (user ann); retry after 3 s',
      headers: { 'retry-after': '3' },
      details: { scope: 'user ann' },
    });
  });

  it('content blocked: 403 naming the rule, saying whether it matched or ran out of time', () => {
    expect(new ContentBlockedError('r1', 'match')).toMatchObject({
      name: 'ContentBlockedError',
      status: 403,
      code: 'content_blocked',
      ruleId: 'r1',
      message: 'the call was blocked by content-filter rule r1',
      details: { rule_id: 'r1' },
    });
    expect(new ContentBlockedError('r2', 'timeout').message).toBe('content-filter rule r2 took too long on these args; the call is blocked to be safe');
  });
});
