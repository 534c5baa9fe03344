import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog, RedactionRules, type Caller } from '../../src/index.js';
import { TabSharing } from '../../src/redaction/tab-sharing.js';

// The shared tab (issue 24: tab-sharing.ts had no test in the redaction group; its HTTP route's tests
// run outside it): only the redacted copy is kept, and both the rules and each share are audited.

const ann: Caller = { kind: 'user', id: 'ann', role: 'admin', tokenId: 'jti-1' };
const actor = { type: 'user', user: 'ann', role: 'admin', jti: 'jti-1' };
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbm4ifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ';

let dir: string;
let audit: AuditLog;
let rules: RedactionRules;
let tabs: TabSharing;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tab-sharing-'));
  audit = await AuditLog.open(join(dir, 'audit.log'));
  rules = new RedactionRules();
  tabs = new TabSharing(rules, audit);
});
afterEach(async () => {
  await audit.close();
  await rm(dir, { recursive: true, force: true });
});

/** Who did it and what, of each entry of `event`, oldest first. */
async function entries(event: string): Promise<{ actor: unknown; details: unknown }[]> {
  return (await audit.tail(10, { event })).map(({ actor: who, details }) => ({ actor: who, details }));
}

describe('TabSharing', () => {
  it('nothing is shared until a tab is', () => {
    expect(tabs.current).toBeUndefined();
  });

  it('setRules: sets the origin\'s fields, returns them normalized, and audits who set them', async () => {
    await expect(tabs.setRules('https://Bank.Example/', ['password', 'cvv'], ann)).resolves.toEqual({ origin: 'https://bank.example', fields: ['password', 'cvv'] });
    expect((await rules.get('https://bank.example')).fields).toEqual(['password', 'cvv']);
    expect(await entries('redaction_rules_set')).toEqual([{ actor, details: { origin: 'https://bank.example', fields: ['password', 'cvv'] } }]);
  });

  it('share: keeps only the copy redacted by its origin\'s rules and scrubbed of secrets, and audits the share', async () => {
    await tabs.setRules('https://bank.example', ['cvv'], ann);
    const content = { card: { cvv: '123', holder: 'Ann' }, api_key: 'k-1', note: `token ${JWT}` };
    const before = new Date().toISOString();
    const snapshot = await tabs.share({ url: `https://Bank.example/pay?session=${JWT}`, title: `Pay ${JWT}`, content }, ann);
    expect(snapshot).toEqual({
      origin: 'https://bank.example',
      url: 'https://Bank.example/pay?session=[REDACTED]',
      title: 'Pay [REDACTED]',
      content: { card: { cvv: '[REDACTED]', holder: 'Ann' }, api_key: '[REDACTED]', note: 'token [REDACTED]' },
      shared_at: expect.any(String) as unknown,
      shared_by: 'ann',
    });
    expect(snapshot.shared_at >= before && snapshot.shared_at <= new Date().toISOString()).toBe(true);
    expect(tabs.current).toBe(snapshot);
    // What was shared is left as it was; only the copy is redacted.
    expect(content.card.cvv).toBe('123');
    expect(await entries('tab_snapshot_shared')).toEqual([{ actor, details: { origin: 'https://bank.example', title: 'Pay [REDACTED]', redacted_fields: ['cvv'] } }]);
  });

  it('share: an origin given is used (and must be an origin); a URL alone gives its origin; neither is 400', async () => {
    const withOrigin = await tabs.share({ origin: 'https://bank.example', url: 'https://bank.example/a', title: 't', content: {} }, ann);
    expect(withOrigin).toMatchObject({ origin: 'https://bank.example', url: 'https://bank.example/a' });
    const withoutUrl = await tabs.share({ origin: 'https://bank.example', title: 't', content: 'c' }, ann);
    expect(withoutUrl).not.toHaveProperty('url');
    expect(withoutUrl.content).toBe('c');
    await expect(tabs.share({ origin: 'https://bank.example/login', title: 't', content: {} }, ann)).rejects.toMatchObject({ status: 400 });
    await expect(tabs.share({ title: 't', content: {} }, ann)).rejects.toMatchObject({ status: 400, message: 'a snapshot needs its origin or url' });
    // A refused share leaves the last one in place.
    expect(tabs.current).toBe(withoutUrl);
  });

  it('without an audit log, sharing and rules still work', async () => {
    const bare = new TabSharing(rules, undefined);
    await bare.setRules('https://bank.example', ['cvv'], ann);
    await expect(bare.share({ origin: 'https://bank.example', title: 't', content: { cvv: '1' } }, ann)).resolves.toMatchObject({ content: { cvv: '[REDACTED]' } });
  });
});
