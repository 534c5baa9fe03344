import fc from 'fast-check';
import { deep, keys, leaves, pollution, strings, treeOf, trees, type JsonTree } from './json-arbitraries.js';

/** What a route's valid bodies may refer to: things that exist on the gateway under test. */
export interface CaseContext {
  readonly pendingApprovalId: string;
  readonly refreshToken: string;
}

/**
 * A valid body for every route that takes one, keyed `METHOD /path` as in the route table: random
 * mutations of these reach the handlers, where wholly random JSON stops at the schema. Tools that
 * hold a call for approval are left out of `/tools/call`, where `wait` would hold the request open.
 */
export const VALID_BODIES: Readonly<Record<string, (context: CaseContext) => readonly unknown[]>> = {
  'POST /validate': () => [{ tool: 'echo', args: { text: 'hi' } }, { tool: 'math.add', args: { a: 1, b: 2 } }, { tool: 'record.keys', args: { data: { a: 1 } } }],
  'POST /tools/call': () => [
    { tool: 'echo', args: { text: 'hi' } },
    { tool: 'math.add', args: { a: 1 }, origin: 'https://example.com' },
    { tool: 'record.keys', args: { data: { a: 1 } }, wait: 0 },
    { tool: 'limited', args: {} },
  ],
  'POST /admin/login': () => [{ username: 'root', password: 'not-the-password' }, { username: 'agent-1', password: 'agent-password' }],
  'POST /admin/refresh': ({ refreshToken }) => [{ refresh_token: refreshToken }, { refresh_token: 'not-a-token' }],
  'POST /admin/revoke': () => [{ jti: 'no-such-token' }, { token: 'not-a-token' }, { all: true }],
  'POST /admin/users': () => [{ username: 'new-user', password: 'long-enough-password', role: 'agent', tools: ['echo', 'math.*'] }],
  'POST /approvals/:id/approve': () => [{ reason: 'looks fine' }, {}],
  'POST /approvals/:id/reject': () => [{ reason: 'no' }, {}],
  'POST /admin/kill-switch': () => [{ enabled: false, reason: 'testing' }],
  'POST /admin/policies/check': () => [{ caller: { id: 'agent-1', role: 'agent' }, tool: 'echo', args: { text: 'hi' }, client: 'mcp', time: '2026-11-30T10:00:00Z' }],
  'POST /admin/content-filter': () => [{ kind: 'literal', pattern: 'forbidden-word', description: 'a word' }, { kind: 'regex', pattern: '^secret-[a-z]+$', flags: 'i' }],
  'POST /admin/schedule': () => [{ name: 'nightly', tool: 'echo', args: { text: 'hi' }, every: '1h', runAs: 'root', enabled: false }],
  'POST /tab/redaction-rules': () => [{ origin: 'https://example.com', fields: ['password', 'card'] }],
  'PUT /tab/snapshot': () => [{ origin: 'https://example.com', url: 'https://example.com/a', title: 'Page', content: { text: 'hello' } }],
};

const values = fc.oneof({ weight: 3, arbitrary: trees }, leaves, pollution, deep);

/** Sets, deletes or adds (possibly duplicate, possibly `__proto__`) keys of a valid body. */
function nearValid(bodies: readonly unknown[]): fc.Arbitrary<JsonTree> {
  const mutation = fc.tuple(fc.constantFrom('set', 'delete', 'add'), fc.nat(), keys, values);
  return fc.tuple(fc.constantFrom(...bodies), fc.array(mutation, { maxLength: 3 })).map(([body, mutations]) => {
    const tree = treeOf(body);
    if (tree.t !== 'object') return tree;
    const entries = [...tree.entries];
    for (const [op, index, key, value] of mutations) {
      const at = entries.length === 0 ? -1 : index % entries.length;
      const existing = entries[at];
      if (op === 'add' || existing === undefined) entries.push([key, value]);
      else if (op === 'set') entries[at] = [existing[0], value];
      else entries.splice(at, 1);
    }
    return { t: 'object', entries };
  });
}

/** Bodies for one route: mostly near-valid, then random JSON, deep nesting and pollution shapes. */
export function payloads(bodies: readonly unknown[]): fc.Arbitrary<JsonTree> {
  return fc.oneof({ weight: 6, arbitrary: nearValid(bodies) }, { weight: 2, arbitrary: trees }, { weight: 1, arbitrary: deep }, { weight: 1, arbitrary: pollution });
}

/** How the JSON text becomes bytes on the wire. */
export type Encoding =
  | { readonly kind: 'utf8' | 'bom' | 'utf16le' | 'latin1' | 'empty' | 'padded' }
  | { readonly kind: 'truncated'; readonly at: number }
  | { readonly kind: 'invalid-utf8'; readonly at: number; readonly bytes: readonly number[] }
  | { readonly kind: 'trailing'; readonly garbage: string };

export const encodings: fc.Arbitrary<Encoding> = fc.oneof(
  { weight: 12, arbitrary: fc.constant({ kind: 'utf8' } as const) },
  fc.constantFrom<Encoding>({ kind: 'bom' }, { kind: 'utf16le' }, { kind: 'latin1' }, { kind: 'empty' }, { kind: 'padded' }),
  fc.double({ min: 0, max: 1, noNaN: true }).map((at): Encoding => ({ kind: 'truncated', at })),
  fc
    .tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom([0x80], [0xc0], [0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82]))
    .map(([at, bytes]): Encoding => ({ kind: 'invalid-utf8', at, bytes })),
  fc.constantFrom('}', ' x', '\u0000', ',{}', '\n[]').map((garbage): Encoding => ({ kind: 'trailing', garbage })),
);

export function encode(text: string, encoding: Encoding): Buffer {
  const utf8 = Buffer.from(text, 'utf8');
  const cut = (at: number) => Math.floor(at * utf8.length);
  switch (encoding.kind) {
    case 'utf8':
      return utf8;
    case 'bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8]);
    case 'utf16le':
      return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    case 'latin1':
      return Buffer.from(text, 'latin1');
    case 'empty':
      return Buffer.alloc(0);
    case 'padded':
      return Buffer.from(` \t\r\n${text}\n `, 'utf8');
    case 'truncated':
      return utf8.subarray(0, cut(encoding.at));
    case 'invalid-utf8':
      return Buffer.concat([utf8.subarray(0, cut(encoding.at)), Buffer.from(encoding.bytes), utf8.subarray(cut(encoding.at))]);
    case 'trailing':
      return Buffer.concat([utf8, Buffer.from(encoding.garbage, 'utf8')]);
  }
}

/** Content-Type values: mostly right, then every way of getting it slightly or wholly wrong. */
export const contentTypes: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 12, arbitrary: fc.constant('application/json') },
  fc.constantFrom(
    undefined,
    '',
    ';',
    'application/json; charset=utf-8',
    'application/json; charset=UTF-8',
    'application/json;charset="utf-8"',
    'application/json; charset=utf8; foo=bar',
    'application/json; charset=utf-16',
    'application/json; charset=latin1',
    'application/json; charset=',
    'application/json; charset',
    'APPLICATION/JSON',
    'application/vnd.api+json',
    'application/json, text/plain',
    'text/plain',
    'text/json',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    '*/*',
  ),
  // Any printable header value (the HTTP client refuses control characters, as servers must).
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 80 }),
);

/** Who sends the request: admin and agent tokens reach the handlers; none and garbage exercise auth. */
export type Sender = 'admin' | 'agent' | 'none' | 'garbage';
export const senders: fc.Arbitrary<Sender> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Sender>('admin') },
  fc.constantFrom<Sender>('agent', 'none', 'garbage'),
);

/** Percent-encodes a segment; a lone surrogate (which encodeURIComponent refuses) goes as the bytes a careless client would send. */
function encodePathSegment(segment: string): string {
  try {
    return encodeURIComponent(segment);
  } catch {
    return '%ED%A0%80';
  }
}

/** Values for a path parameter: the real one, unknown ones, and malformed percent-encoding. */
export function pathParams(real: string): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant(encodeURIComponent(real)) },
    strings.filter((s) => s.length > 0 && s.length < 300).map(encodePathSegment),
    fc.constantFrom('%', '%zz', '%E0%A4%A', '..', '%2F', '%00'),
  );
}
