import { describe, expect, it } from 'vitest';
import { isSecretKey, REDACTED, scrubSecrets, scrubSecretText, SecretValue } from '../../src/index.js';
import { scrubSecrets as fromOldPath } from '../../src/audit/secret-scrubber.js';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZ2VudC0xIn0.c2lnbmF0dXJlLXZhbHVl';
const R = REDACTED;

describe('secret key names', () => {
  // Normalised before matching: case, `-`, `_`, `.` and spaces do not matter.
  it.each([
    'password', 'Password', 'user_password', 'db-password', 'passwd', 'pass', 'pwd', 'PWD', 'db_pwd', 'passphrase', 'ssh_passphrase',
    'secret', 'client_secret', 'secret_key', 'SECRET-KEY', 'aws_secret_access_key', 'AWS_SECRET_ACCESS_KEY', 'access_key', 'accessKeyId',
    'x-api-key', 'X-API-KEY', 'api_key', 'apiKey', 'api.key', 'api key',
    'token', 'access_token', 'refresh_token', 'id_token', 'auth_token', 'api_token', 'session_token', 'bearer_token', 'x-auth-token',
    'X-Amz-Security-Token', 'csrf_token', '_csrf', 'xsrf',
    'authorization', 'Proxy-Authorization', 'auth', 'basic_auth', 'oauth', 'authKey', 'auth_code',
    'cookie', 'Set-Cookie', 'cookies', 'session_id', 'sessionId', 'JSESSIONID', 'PHPSESSID', 'session_key',
    'credentials', 'aws_credentials', 'private_key', 'privateKey', 'signing_key', 'encryption_key', 'jwt', 'otp',
    // Each name part alone, where no other rule would catch it (`bearer_token` also ends in `token`).
    'bearer', 'x-bearer', 'totp', 'TOTP', 'csrf-header', 'xsrf_header',
  ])('%s is a secret', (key) => {
    expect(isSecretKey(key)).toBe(true);
  });

  // LLM token counts and limits, cursors and ordinary names that merely contain a fragment stay visible.
  it.each([
    'token_count', 'tokenCount', 'max_tokens', 'maxTokens', 'max_token', 'input_tokens', 'output_tokens', 'total_tokens', 'prompt_tokens',
    'completion_tokens', 'tokens', 'tokenId', 'token_type', 'tokenizer', 'next_page_token', 'page_token', 'continuation_token',
    'author', 'authority', 'authored_by', 'username', 'user', 'email', 'key', 'id', 'session', 'passage', 'compass', 'bypass',
    'public_key', 'publicKey', 'primary_key', 'sort_key', 'idempotency_key', 'cache_key', 'keyboard', 'description', 'note',
    // Every name that ends in `token` but is a limit or a cursor.
    'min_token', 'num_token', 'prev_page_token', 'previous_page_token', 'cancellation_token', 'sync_token', 'pageToken', 'nextPageToken',
  ])('%s is not a secret', (key) => {
    expect(isSecretKey(key)).toBe(false);
  });
});

describe('secrets inside strings', () => {
  const PEM = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\nq9Zx==\n-----END RSA PRIVATE KEY-----';
  it.each([
    // JWTs anywhere, not only as the whole string
    [JWT, R],
    [`${JWT} `, `${R} `],
    [`token is ${JWT}, use it`, `token is ${R}, use it`],
    [`{"note":"${JWT}"}`, `{"note":"${R}"}`],
    [`${JWT}.aGVsbG8.d29ybGQ`, R],
    // auth schemes: the scheme stays, the credential goes
    [`Bearer ${JWT}`, `Bearer ${R}`],
    [`Bearer ${JWT} `, `Bearer ${R} `],
    [`note: Bearer ${JWT}\nthanks`, `note: Bearer ${R}\nthanks`],
    ['bearer opaque-token_123.x', `bearer ${R}`],
    ['Authorization: Bearer abc123', `Authorization: Bearer ${R}`],
    ['Basic dXNlcjpodW50ZXIy', `Basic ${R}`],
    // provider keys by prefix
    ['key sk-proj-Abc123def456GHI789jkl012MNO end', `key ${R} end`],
    ['sk-ant-api03-Abc123def456GHI789jkl012MNO-xyz', R],
    [`sk-${'a1B2'.repeat(12)}`, R],
    ...['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'].map((prefix) => [`use ${prefix}${'A1b2C3'.repeat(6)} now`, `use ${R} now`]),
    [`github_pat_11ABCDEFG0${'x'.repeat(60)}`, R],
    ...['xoxb-', 'xoxp-', 'xoxa-', 'xoxr-', 'xoxs-'].map((prefix) => [`${prefix}1234567890-abcdef`, R]),
    ['id AKIAIOSFODNN7EXAMPLE,', `id ${R},`],
    ['ASIAIOSFODNN7EXAMPLE', R],
    ['AIzaSyA-1234567890abcdefghijklmnopqrstu', R],
    ['sk_live_51HqLyjWDarjtT1zdp7dc', R],
    ['rk_live_51HqLyjWDarjtT1zdp7dc', R],
    ['sk_test_51HqLyjWDarjtT1zdp7dc', R],
    ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', R],
    ['glpat-xxxxxxxxxxxxxxxxxxxx', R],
    [`before\n${PEM}\nafter`, `before\n${R}\nafter`],
    ['-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkq', R],
    ['-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n-----END OPENSSH PRIVATE KEY-----', R],
    // URL passwords and query parameters
    ['https://bob:hunter2@db.example/x', `https://bob:${R}@db.example/x`],
    ['postgres://admin:s3cr3t@db:5432/app', `postgres://admin:${R}@db:5432/app`],
    ['redis://:p4ss@cache:6379', `redis://:${R}@cache:6379`],
    ['see https://x.example/cb?token=abc123&page=2#top', `see https://x.example/cb?token=${R}&page=2#top`],
    ['https://x.example/?api_key=AAA', `https://x.example/?api_key=${R}`],
    ['https://s3.example/o?X-Amz-Security-Token=FQoG%2Fx&X-Amz-Date=1', `https://s3.example/o?X-Amz-Security-Token=${R}&X-Amz-Date=1`],
    // name=value and name: value, in configs, headers and JSON kept as text
    ['password=hunter2 user=bob', `password=${R} user=bob`],
    ['my password: hunter2 ', `my password: ${R} `],
    ['Server=db;Password=p4ss;User=sa', `Server=db;Password=${R};User=sa`],
    ['{"api_key": "abc", "user": "ann", "max_tokens": 10}', `{"api_key": "${R}", "user": "ann", "max_tokens": 10}`],
    ["{'secret': 'abc'}", `{'secret': '${R}'}`],
    ['x-api-key: k-123 ok', `x-api-key: ${R} ok`],
    ['{"password":"unterminated', `{"password":"${R}`],
  ])('%j -> %j', (input, expected) => {
    expect(scrubSecretText(input)).toBe(expected);
  });

  it.each([
    'eyJ alone', 'eyJhbGciOiJIUzI1NiJ9', 'the Basic plan', 'Basic dGVzdA==', 'sk-short', 'task-1234567890123456789012345678',
    'AKIAIOSFODNN7EXAMPLEXX', 'https://example.com/path?page=2&q=x', 'https://user@host.example/', 'max_tokens=100 token_count: 5 tokenId=abc',
    'password: null', '-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----', 'ghp_short', 'version 1.2.3 at 2026-11-25T10:31:02Z',
    'a note: pay rent', 'tool: echo', 'the Authorization header must be "Bearer <token>"', '[REDACTED]',
  ])('%j is left as it is', (input) => {
    expect(scrubSecretText(input)).toBe(input);
  });

  it('is idempotent: scrubbing scrubbed text changes nothing', () => {
    const once = scrubSecretText(`Authorization: Bearer ${JWT} password=x https://u:p@h/?token=t`);
    expect(scrubSecretText(once)).toBe(once);
  });
});

describe('scrubSecrets', () => {
  it('scrubs by key and by shape at any depth, in arrays and objects, keys included', () => {
    const input = {
      note: `Bearer ${JWT} `,
      'x-api-key': 'k-123',
      headers: { Cookie: 'sid=1', 'X-Request-Id': 'r-1' },
      list: [{ passphrase: 'open sesame' }, [`ghp_${'A1b2C3'.repeat(6)}`, 'fine']],
      nested: { deeper: { aws_secret_access_key: 'wJalrXUtnFEMI', url: 'https://u:pw@h.example/' } },
      usage: { max_tokens: 100, token_count: 7 },
      [JWT]: 'a token as a key',
    };
    expect(scrubSecrets(input)).toEqual({
      note: `Bearer ${R} `,
      'x-api-key': R,
      headers: { Cookie: R, 'X-Request-Id': 'r-1' },
      list: [{ passphrase: R }, [R, 'fine']],
      nested: { deeper: { aws_secret_access_key: R, url: `https://u:${R}@h.example/` } },
      usage: { max_tokens: 100, token_count: 7 },
      [R]: 'a token as a key',
    });
  });

  it('leaves the input untouched and keeps true, false and null under secret names', () => {
    const input = { password: 'p', has_password: true, api_key: null, pin: { token: 'x' } };
    const copy = structuredClone(input);
    expect(scrubSecrets(input)).toEqual({ password: R, has_password: true, api_key: null, pin: { token: R } });
    expect(input).toEqual(copy);
  });

  it('ends cycles, walks a shared subtree once and cuts nesting past 100 levels', () => {
    const cyclic: Record<string, unknown> = { name: 'a' };
    cyclic.self = cyclic;
    expect(scrubSecrets(cyclic)).toEqual({ name: 'a', self: '[Circular]' });
    // 2^40 paths through 40 shared levels: only a walk that copies each object once can finish.
    let shared: Record<string, unknown> = { password: 'p' };
    for (let i = 0; i < 40; i += 1) shared = { left: shared, right: shared };
    const out = scrubSecrets(shared) as Record<string, unknown>;
    expect(out.left).toBe(out.right);
    let deep: unknown = 'bottom';
    for (let i = 0; i < 150; i += 1) deep = [deep];
    expect(JSON.stringify(scrubSecrets(deep))).toContain(R);
  });

  it('cuts an object nested deeper than 100 levels, and only then', () => {
    const nested = (levels: number): unknown => {
      let value: unknown = { kept: 'yes' };
      for (let i = 0; i < levels; i += 1) value = [value];
      return value;
    };
    const bottom = (value: unknown): unknown => {
      let at = value;
      while (Array.isArray(at)) at = at[0];
      return at;
    };
    expect(bottom(scrubSecrets(nested(100)))).toEqual({ kept: 'yes' });
    expect(bottom(scrubSecrets(nested(101)))).toBe(R);
    // A caller's own starting depth counts too.
    expect(bottom(scrubSecrets(nested(90), 10))).toEqual({ kept: 'yes' });
    expect(bottom(scrubSecrets(nested(90), 11))).toBe(R);
    // Objects inside objects count the same as arrays.
    const objects = (levels: number): Record<string, unknown> => {
      let value: Record<string, unknown> = { kept: 'yes' };
      for (let i = 0; i < levels; i += 1) value = { inner: value };
      return value;
    };
    const innermost = (value: unknown): unknown => {
      let at = value;
      while (typeof at === 'object' && at !== null && 'inner' in at) at = (at as { inner: unknown }).inner;
      return at;
    };
    expect(innermost(scrubSecrets(objects(100)))).toEqual({ kept: 'yes' });
    expect(innermost(scrubSecrets(objects(101)))).toBe(R);
  });

  it('under a secret name hides every value but null, undefined and booleans, without walking into it', () => {
    expect(scrubSecrets({ otp: 123456, token: { nested: 'x' }, secret: ['a'], password: null, api_key: undefined, has_token: false, cookie: true })).toEqual({
      otp: R,
      token: R,
      secret: R,
      password: null,
      api_key: undefined,
      has_token: false,
      cookie: true,
    });
    expect(scrubSecrets(null)).toBeNull();
    expect(scrubSecrets(undefined)).toBeUndefined();
    expect(scrubSecrets(42)).toBe(42);
    expect(scrubSecrets({ count: 3, empty: null, list: [null, 1, false] })).toEqual({ count: 3, empty: null, list: [null, 1, false] });
  });

  it('keeps dates as dates and bytes as bytes; shows other objects as JSON would', () => {
    const date = new Date('2026-01-02T03:04:05Z');
    const bytes = Buffer.from('not text');
    const out = scrubSecrets({ date, bytes, url: new URL('https://u:pw@h.example/'), key: new SecretValue('s'), map: new Map([['a', 1]]) }) as Record<string, unknown>;
    expect(out.date).toBeInstanceOf(Date);
    expect(out.date).toEqual(date);
    expect(out.date).not.toBe(date);
    expect(out.bytes).toBe(bytes);
    expect(out.url).toBe(`https://u:${R}@h.example/`);
    expect(out.key).toBe(R);
    expect(out.map).toEqual({});
  });

  it('keeps a "__proto__" key as a field, never as the copy\'s prototype', () => {
    const out = scrubSecrets(JSON.parse('{"__proto__":{"polluted":true},"a":1}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, '__proto__')).toBe(true);
    // An ordinary field: its scrubbed value, seen by JSON and Object.keys like any other.
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')).toEqual({ value: { polluted: true }, enumerable: true, writable: true, configurable: true });
    expect(JSON.stringify(out)).toBe('{"__proto__":{"polluted":true},"a":1}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('is the same function at its old import path', () => {
    expect(fromOldPath).toBe(scrubSecrets);
  });
});

/*
 * 1 MiB of the text that would hurt each pattern most on a backtracking engine. A quadratic pattern
 * takes minutes on these and fails by the test timeout; a linear one takes milliseconds. What is
 * asserted is the result, never a duration.
 */
describe('adversarial input stays linear', () => {
  const MIB = 1 << 20;
  const fill = (unit: string): string => unit.repeat(Math.ceil(MIB / unit.length)).slice(0, MIB);
  it.each([
    ['letters', fill('a')],
    ['eyJ runs', fill('eyJ')],
    ['eyJ with one dot each', fill('eyJa.')],
    ['Bearer then spaces', `Bearer${fill(' ')}`],
    ['Bearer Bearer', fill('Bearer ')],
    ['Basic Basic', fill('Basic ')],
    ['schemes', fill('a://')],
    ['scheme then colons', `a://${fill('x:')}`],
    ['userinfo without @', fill('a://b:c')],
    ['PEM begins', fill('-----BEGIN PRIVATE KEY-----')],
    ['PEM ends', `-----BEGIN PRIVATE KEY-----${fill('-----END ')}`],
    ['quoted names', fill('"a":"')],
    ['escaped quotes', `"password":"${fill('\\"')}`],
    ['assignments', fill('a=')],
    ['secret assignments', fill('password=  ')],
    ['long names', fill(`${'x'.repeat(70)}=`)],
    ['sk- runs', fill('sk-')],
    ['AKIA runs', fill('AKIA')],
    ['colons', fill(':')],
    ['backslashes', fill('\\')],
    ['everything at once', fill(`password: Bearer ${JWT} https://u:p@h?token=x&`)],
  ])('%s', (_name, text) => {
    const out = scrubSecretText(text);
    expect(typeof out).toBe('string');
    // Scrubbed text never grows by more than the markers it adds, nor keeps a secret it was given.
    expect(out.length).toBeLessThanOrEqual(text.length * 6);
    expect(out).not.toContain(JWT);
  });
});
