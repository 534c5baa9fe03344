import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileRedactionRuleStore, normalizeOrigin, RedactionRules } from '../../src/index.js';

describe('normalizeOrigin', () => {
  it.each([
    ['https://Bank.Example', 'https://bank.example'],
    ['https://bank.example/', 'https://bank.example'],
    ['https://bank.example:443', 'https://bank.example'],
    ['http://bank.example:80', 'http://bank.example'],
    ['http://bank.example:8080', 'http://bank.example:8080'],
    ['HTTPS://BANK.EXAMPLE', 'https://bank.example'],
  ])('%s -> %s', (input, expected) => {
    expect(normalizeOrigin(input)).toBe(expected);
  });

  it.each(['bank.example', 'ftp://bank.example', 'https://bank.example/login', 'https://u:p@bank.example', 'https://bank.example/?q=1', '', 'javascript:alert(1)'])(
    'refuses %j with 400',
    (input) => {
      expect(() => normalizeOrigin(input)).toThrow(expect.objectContaining({ status: 400 }));
    },
  );

  it('says what is wrong: not a URL, not http(s), or more than an origin (each part on its own)', () => {
    expect(() => normalizeOrigin('bank.example')).toThrow('"bank.example" is not an origin such as https://bank.example');
    expect(() => normalizeOrigin('x'.repeat(300))).toThrow(`"${'x'.repeat(200)}" is not an origin such as https://bank.example`);
    expect(() => normalizeOrigin('ftp://bank.example')).toThrow('origin must be http:// or https://, got "ftp:"');
    for (const input of ['https://ann@bank.example', 'https://:secret@bank.example', 'https://bank.example?q', 'https://bank.example/#top', 'https://bank.example/a']) {
      expect(() => normalizeOrigin(input), input).toThrow(`${JSON.stringify(input)} is not an origin: drop the path, query and credentials`);
    }
    const long = `https://bank.example/${'a'.repeat(300)}`;
    expect(() => normalizeOrigin(long)).toThrow(`${JSON.stringify(long.slice(0, 200))} is not an origin: drop the path, query and credentials`);
    // A URL's origin: its path, query, fragment and credentials are dropped.
    expect(normalizeOrigin('https://ann:secret@bank.example/a?q#top', { fromUrl: true })).toBe('https://bank.example');
    expect(() => normalizeOrigin('https://bank.example/a', { fromUrl: false })).toThrow(/is not an origin/);
  });

  it('takes the origin of a full URL when asked to', () => {
    expect(normalizeOrigin('https://Bank.example:443/login?next=1#x', { fromUrl: true })).toBe('https://bank.example');
  });
});

describe('RedactionRules', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'redaction-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('redacts field names at any depth, in arrays, without case, and dotted paths', async () => {
    const rules = new RedactionRules();
    await rules.set('https://bank.example', ['password', 'Card.Number', 'cvv']);
    const value = {
      user: 'ann',
      PASSWORD: 'p1',
      profile: { password: 'p2', card: { number: '4111', expiry: '12/30' } },
      cards: [{ card: { number: '5500', cvv: '123' } }, { number: 'not under card' }],
      history: [[{ Cvv: '999' }]],
    };
    expect(rules.redact('https://bank.example', value)).toEqual({
      user: 'ann',
      PASSWORD: '[REDACTED]',
      profile: { password: '[REDACTED]', card: { number: '[REDACTED]', expiry: '12/30' } },
      cards: [{ card: { number: '[REDACTED]', cvv: '[REDACTED]' } }, { number: 'not under card' }],
      history: [[{ Cvv: '[REDACTED]' }]],
    });
    // The input is left as it was, and other origins are untouched.
    expect(value.profile.password).toBe('p2');
    expect(rules.redact('https://other.example', value)).toBe(value);
  });

  it('keeps rules across a restart of the gateway object, and never stores a redacted value', async () => {
    const path = join(dir, 'state', 'redaction-rules.json');
    const first = new RedactionRules(new FileRedactionRuleStore(path));
    await first.set('https://Bank.Example:443', ['password']);
    const second = new RedactionRules(new FileRedactionRuleStore(path));
    await second.load();
    expect(await second.get('https://bank.example')).toEqual({ origin: 'https://bank.example', fields: ['password'] });
    expect(await second.get('https://never.example')).toEqual({ origin: 'https://never.example', fields: [] });
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ version: 1, origins: { 'https://bank.example': ['password'] } });
  });

  it('concurrent updates: the last write wins and the file is never torn', async () => {
    const path = join(dir, 'rules.json');
    const rules = new RedactionRules(new FileRedactionRuleStore(path));
    await Promise.all(Array.from({ length: 50 }, (_, i) => rules.set('https://bank.example', [`field${i}`])));
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ version: 1, origins: { 'https://bank.example': ['field49'] } });
    const reloaded = new RedactionRules(new FileRedactionRuleStore(path));
    expect((await reloaded.get('https://bank.example')).fields).toEqual(['field49']);
  });

  it('refuses to start on a damaged rules file instead of replacing it', async () => {
    const path = join(dir, 'rules.json');
    await (await import('node:fs/promises')).writeFile(path, '{"version":1,"origins":{"x":[1]}}');
    await expect(new RedactionRules(new FileRedactionRuleStore(path)).load()).rejects.toThrow(/is not valid/);
  });
});
