import { describe, expect, it } from 'vitest';
import { claimAt, DEFAULT_ROLE_MAP, nameFromClaims, roleFromClaims, toolsFromClaims } from '../../src/auth/external-claims.js';
import { ForbiddenError, InvalidTokenError } from '../../src/errors/index.js';

/** The error a claim function throws, to check its class, status and wording. */
function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected it to throw');
}

const CUSTOM = { 'gw-admins': 'admin', 'gw-approvers': 'approver', bots: 'agent' } as const;

describe('claimAt', () => {
  it('reads a claim by its name, even a URL with dots in it', () => {
    expect(claimAt({ 'https://gw.example/roles': ['agent'] }, 'https://gw.example/roles')).toEqual(['agent']);
    // An own claim spelt with dots wins over the path those dots would make.
    expect(claimAt({ 'a.b': 'flat', a: { b: 'nested' } }, 'a.b')).toBe('flat');
  });

  it('follows a dotted path through nested objects', () => {
    expect(claimAt({ realm_access: { roles: ['bots'] } }, 'realm_access.roles')).toEqual(['bots']);
    expect(claimAt({ a: { b: { c: 'deep' } } }, 'a.b.c')).toBe('deep');
    expect(claimAt({ a: { b: {} } }, 'a.b.c')).toBeUndefined();
  });

  it('a path finds nothing through strings, null, arrays or inherited properties', () => {
    expect(claimAt({ a: 'text' }, 'a.length')).toBeUndefined();
    expect(claimAt({ a: null }, 'a.b')).toBeUndefined();
    expect(claimAt({ a: ['x', 'y'] }, 'a.0')).toBeUndefined();
    expect(claimAt({ a: {} }, 'a.constructor')).toBeUndefined();
    expect(claimAt({ a: {} }, 'a.toString')).toBeUndefined();
    expect(claimAt({}, 'missing')).toBeUndefined();
  });
});

describe('roleFromClaims', () => {
  it('the default map gives admin, approver and agent their own role, and nothing else', () => {
    expect(DEFAULT_ROLE_MAP).toEqual({ admin: 'admin', approver: 'approver', agent: 'agent' });
    expect(Object.isFrozen(DEFAULT_ROLE_MAP)).toBe(true);
    for (const role of ['admin', 'approver', 'agent'] as const) {
      expect(roleFromClaims({ r: role }, 'r', DEFAULT_ROLE_MAP, undefined)).toBe(role);
    }
  });

  it('reads a string, a list, or a string of entries split by spaces and commas', () => {
    expect(roleFromClaims({ r: 'bots' }, 'r', CUSTOM, undefined)).toBe('agent');
    expect(roleFromClaims({ r: ['offline_access', 'gw-approvers'] }, 'r', CUSTOM, undefined)).toBe('approver');
    expect(roleFromClaims({ r: ' offline_access,\tgw-approvers  openid ' }, 'r', CUSTOM, undefined)).toBe('approver');
    expect(roleFromClaims({ r: 'gw-admins' }, 'r', CUSTOM, 'agent')).toBe('admin');
  });

  it('values without a mapping are ignored, inherited names such as toString included', () => {
    expect(roleFromClaims({ r: ['unknown', 'bots'] }, 'r', CUSTOM, undefined)).toBe('agent');
    expect(roleFromClaims({ r: ['bots', 'unknown'] }, 'r', CUSTOM, undefined)).toBe('agent');
    for (const value of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      expect(thrown(() => roleFromClaims({ r: value }, 'r', CUSTOM, undefined)), value).toBeInstanceOf(ForbiddenError);
      expect(roleFromClaims({ r: [value] }, 'r', CUSTOM, 'approver'), value).toBe('approver');
    }
    // Once a map is given, the default names are plain values too.
    expect(thrown(() => roleFromClaims({ r: 'admin' }, 'r', CUSTOM, undefined))).toBeInstanceOf(ForbiddenError);
  });

  it('several roles: admin when it is among them; the same role twice is that role', () => {
    expect(roleFromClaims({ r: ['agent', 'admin'] }, 'r', DEFAULT_ROLE_MAP, undefined)).toBe('admin');
    expect(roleFromClaims({ r: ['admin', 'approver', 'agent'] }, 'r', DEFAULT_ROLE_MAP, undefined)).toBe('admin');
    expect(roleFromClaims({ r: ['bots', 'robots'] }, 'r', { ...CUSTOM, robots: 'agent' }, undefined)).toBe('agent');
  });

  it('approver with agent is refused, even when a default role is configured', () => {
    for (const values of [['approver', 'agent'], ['agent', 'approver']]) {
      const error = thrown(() => roleFromClaims({ r: values }, 'r', DEFAULT_ROLE_MAP, 'agent'));
      expect(error).toBeInstanceOf(ForbiddenError);
      expect(error).toMatchObject({ status: 403, code: 'forbidden', message: `the token's "r" claim maps to both the approver and the agent role; give it one` });
    }
  });

  it('no mapped role: the default role, or 403 naming the claim', () => {
    const none = { sub: 'x' };
    for (const role of ['admin', 'approver', 'agent'] as const) expect(roleFromClaims(none, 'r', DEFAULT_ROLE_MAP, role)).toBe(role);
    expect(roleFromClaims({ r: 'unknown' }, 'r', DEFAULT_ROLE_MAP, 'approver')).toBe('approver');
    expect(roleFromClaims({ r: [] }, 'r', DEFAULT_ROLE_MAP, 'agent')).toBe('agent');
    expect(roleFromClaims({ r: '' }, 'r', DEFAULT_ROLE_MAP, 'agent')).toBe('agent');
    // A claim present but null is no role, not a malformed one.
    expect(roleFromClaims({ r: null }, 'r', DEFAULT_ROLE_MAP, 'agent')).toBe('agent');
    // A path through null finds nothing (and does not throw a TypeError).
    expect(roleFromClaims({ a: null }, 'a.b', DEFAULT_ROLE_MAP, 'agent')).toBe('agent');
    for (const payload of [none, { r: 'unknown' }, { r: [] }, { r: null }]) {
      const error = thrown(() => roleFromClaims(payload, 'r', DEFAULT_ROLE_MAP, undefined));
      expect(error).toBeInstanceOf(ForbiddenError);
      expect(error).toMatchObject({ status: 403, message: 'the token carries no role for this gateway (claim "r")' });
    }
  });

  it('a malformed claim is refused (403): not a string or a list of strings, or too long a list', () => {
    const message = `the token's "r" claim must be a string or a list of at most 256 strings`;
    for (const value of [5, true, { admin: true }, ['agent', 1], [null], [['agent']], { length: 1, 0: 'agent', every: () => true }]) {
      const error = thrown(() => roleFromClaims({ r: value }, 'r', DEFAULT_ROLE_MAP, 'agent'));
      expect(error, JSON.stringify(value)).toBeInstanceOf(ForbiddenError);
      expect(error, JSON.stringify(value)).toMatchObject({ status: 403, message });
    }
    // 256 entries is the most a list may have.
    const filler = (n: number) => Array.from({ length: n }, (_, i) => `group-${i}`);
    expect(roleFromClaims({ r: [...filler(255), 'agent'] }, 'r', DEFAULT_ROLE_MAP, undefined)).toBe('agent');
    expect(thrown(() => roleFromClaims({ r: [...filler(256), 'agent'] }, 'r', DEFAULT_ROLE_MAP, undefined))).toMatchObject({ message });
    expect(roleFromClaims({ r: [...filler(255), 'agent'].join(' ') }, 'r', DEFAULT_ROLE_MAP, undefined)).toBe('agent');
    expect(thrown(() => roleFromClaims({ r: [...filler(256), 'agent'].join(',') }, 'r', DEFAULT_ROLE_MAP, undefined))).toMatchObject({ message });
  });
});

describe('toolsFromClaims', () => {
  it('a list, or a string split by spaces and commas, without empty entries', () => {
    expect(toolsFromClaims({ t: ['echo', 'file.*'] }, 't')).toEqual(['echo', 'file.*']);
    expect(toolsFromClaims({ t: ' echo,  file.*\t,*' }, 't')).toEqual(['echo', 'file.*', '*']);
    expect(toolsFromClaims({ nested: { t: 'echo' } }, 'nested.t')).toEqual(['echo']);
  });

  it('a token without the claim may call no tool', () => {
    expect(toolsFromClaims({}, 't')).toEqual([]);
    expect(toolsFromClaims({ t: null }, 't')).toEqual([]);
    expect(toolsFromClaims({ t: '' }, 't')).toEqual([]);
  });

  it('an entry that is not a tool name or glob is refused (403)', () => {
    for (const value of [['echo', 'not a tool!'], ['echo', ''], 'echo;rm', ['x'.repeat(129)]]) {
      const error = thrown(() => toolsFromClaims({ t: value }, 't'));
      expect(error, JSON.stringify(value)).toBeInstanceOf(ForbiddenError);
      expect(error).toMatchObject({ status: 403, message: `the token's "t" claim must list tool names or globs such as file.*` });
    }
    expect(thrown(() => toolsFromClaims({ t: { echo: true } }, 't'))).toBeInstanceOf(ForbiddenError);
  });
});

describe('nameFromClaims', () => {
  const message = `the token's "sub" claim must be a name of 1..256 characters`;

  it('a non-empty string of at most 256 characters without control characters', () => {
    expect(nameFromClaims({ sub: 'alice' }, 'sub')).toBe('alice');
    expect(nameFromClaims({ sub: 'a' }, 'sub')).toBe('a');
    expect(nameFromClaims({ sub: 'x'.repeat(256) }, 'sub')).toBe('x'.repeat(256));
    // The characters just outside the control ranges are allowed.
    for (const edge of [' ', '~', '\u00a0', 'é']) expect(nameFromClaims({ sub: `a${edge}b` }, 'sub')).toBe(`a${edge}b`);
    expect(nameFromClaims({ user: { name: 'bob' } }, 'user.name')).toBe('bob');
  });

  it('anything else is 401 invalid_token naming the claim', () => {
    const bad: unknown[] = [undefined, null, 5, ['alice'], { name: 'alice' }, '', 'x'.repeat(257), 'a\u0000b', 'a\nb', 'a\u001fb', 'a\u007fb', 'a\u0085b', 'a\u009fb'];
    for (const sub of bad) {
      const payload: Record<string, unknown> = sub === undefined ? {} : { sub };
      const error = thrown(() => nameFromClaims(payload, 'sub'));
      expect(error, JSON.stringify(sub)).toBeInstanceOf(InvalidTokenError);
      expect(error, JSON.stringify(sub)).toMatchObject({ status: 401, code: 'invalid_token', message });
    }
  });
});
