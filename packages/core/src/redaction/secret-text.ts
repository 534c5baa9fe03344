import { isSecretKey } from './secret-keys.js';

/** What every scrubbed secret is replaced with. */
export const REDACTED = '[REDACTED]';

/*
 * Every pattern here runs on text an attacker chooses (up to the 1 MiB body limit), on a backtracking
 * engine, so each is written to stay linear:
 * - a pattern may only start at the beginning of a run of token characters (a lookbehind, or a literal
 *   such as `-----BEGIN`), so a long run is tried once, not from each of its characters;
 * - the parts of a pattern use character classes that cannot match each other's characters (a `.`
 *   between segments the segment class excludes), so a failed attempt gives its characters back one by
 *   one and stops: there is nothing for nested quantifiers to try in more than one way;
 * - a pattern that looks for its own end (a PEM block) also accepts the end of the text, so it never
 *   fails after scanning to the end and is tried again from further on.
 * The tests feed each pattern 1 MiB of the input that would hurt it most.
 */

/** `-----BEGIN RSA PRIVATE KEY-----` to its END line, or to the end of the text when cut off. */
const PEM_PRIVATE_KEY =
  /-----BEGIN[A-Z0-9 ]{0,40} PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END[A-Z0-9 ]{0,40} PRIVATE KEY(?: BLOCK)?-----|$)/g;

/** A JWT (and the first parts of a JWE): base64url segments joined by dots, the first a `{"` header. */
const JWT = /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*){1,3}/g;

/** Keys whose prefix names their issuer. Each is the whole token, so the run's boundary starts it. */
const PROVIDER_KEY = new RegExp(
  '(?<![A-Za-z0-9_-])(?:' +
    [
      'sk-[A-Za-z0-9_-]{20,}', // OpenAI sk-, sk-proj-, sk-svcacct-; Anthropic sk-ant-
      '(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}', // Stripe secret and restricted keys
      'whsec_[A-Za-z0-9+/=]{16,}', // Stripe webhook signing secrets
      'gh[pousr]_[A-Za-z0-9]{30,}', // GitHub tokens
      'github_pat_[A-Za-z0-9_]{30,}', // GitHub fine-grained tokens
      'xox[abprs]-[A-Za-z0-9-]{10,}', // Slack tokens
      'xapp-[A-Za-z0-9-]{10,}', // Slack app tokens
      'glpat-[A-Za-z0-9_-]{20,}', // GitLab personal access tokens
      'npm_[A-Za-z0-9]{36}', // npm tokens
      'AIza[A-Za-z0-9_-]{35}', // Google API keys
      '(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])', // AWS access key ids (long-lived and STS)
    ].join('|') +
    ')',
  'g',
);

/** `Bearer <token>` (RFC 6750 token characters) wherever it stands: a header, a log line, a note. */
const BEARER = /\b(Bearer[ \t]+)[A-Za-z0-9._~+/-]+=*/gi;

/** `Basic <base64>`; only redacted when it decodes to `user:password`, so "Basic plan" stays. */
const BASIC = /\b(Basic[ \t]+)([A-Za-z0-9+/]+={0,2})(?![A-Za-z0-9+/=])/gi;

/** `scheme://user:password@host`: the password only. Neither user nor password can hold `/`, so each `://` starts afresh. */
const URL_PASSWORD = /(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]{0,31}:\/\/[^\s/?#@:]*):([^\s/?#@]+)@/g;

/**
 * `name=value`, `name: value`, `"name": "value"` (query strings, cookies, headers, JSON inside a string,
 * connection strings). Finds the name and its separator only; the value is read by `valueEnd`.
 */
const ASSIGNMENT = /(?<![A-Za-z0-9_.-])(["']?)([A-Za-z][A-Za-z0-9_.-]{0,63})\1[ \t]{0,8}[:=][ \t]{0,8}/g;

/**
 * An unquoted value, with the auth scheme in front of it kept: `Authorization: Bearer [REDACTED]`.
 * The value may be empty, so a scheme before `[REDACTED]` stays a scheme rather than becoming the value.
 */
const BARE_VALUE = /(?:(?:Bearer|Basic|Token|Digest)[ \t]+)?([^\s"'&#,;<>(){}[\]]*)/iy;

const NOT_A_SECRET_VALUE: ReadonlySet<string> = new Set(['null', 'true', 'false', 'undefined']);

/** Where a quoted value that opens at `start` ends (after its closing quote, or the end of the text). */
function quotedEnd(text: string, start: number): { end: number; closed: boolean } {
  const quote = text[start];
  for (let i = start + 1; i < text.length; i += 1) {
    if (text[i] === '\\') i += 1;
    else if (text[i] === quote) return { end: i + 1, closed: true };
  }
  return { end: text.length, closed: false };
}

/** Replaces the values of secret-named assignments; one pass, each character looked at a bounded number of times. */
function scrubAssignments(text: string): string {
  let out = '';
  let copied = 0;
  ASSIGNMENT.lastIndex = 0;
  for (let match = ASSIGNMENT.exec(text); match !== null; match = ASSIGNMENT.exec(text)) {
    const valueStart = ASSIGNMENT.lastIndex;
    if (!isSecretKey(match[2] ?? '')) continue;
    const first = text[valueStart];
    if (first === '"' || first === "'") {
      const { end, closed } = quotedEnd(text, valueStart);
      if (end - valueStart <= (closed ? 2 : 1)) continue;
      out += `${text.slice(copied, valueStart + 1)}${REDACTED}${closed ? first : ''}`;
      copied = end;
      ASSIGNMENT.lastIndex = end;
      continue;
    }
    BARE_VALUE.lastIndex = valueStart;
    // Always a match: the value may be empty.
    const secret = BARE_VALUE.exec(text)?.[1] ?? '';
    if (secret === '' || NOT_A_SECRET_VALUE.has(secret.toLowerCase())) continue;
    const secretStart = BARE_VALUE.lastIndex - secret.length;
    out += `${text.slice(copied, secretStart)}${REDACTED}`;
    copied = BARE_VALUE.lastIndex;
    ASSIGNMENT.lastIndex = BARE_VALUE.lastIndex;
  }
  // With nothing replaced, `out` is empty and the slice is the whole text.
  return out + text.slice(copied);
}

/** `Bearer` or `Basic`, in any case: without one neither pattern can match. */
const MAY_HOLD_SCHEME = /bearer|basic/i;

/** Every provider key holds `-` or `_` after its prefix, or starts `AIza`, `AKIA` or `ASIA`. */
const MAY_HOLD_PROVIDER_KEY = /[-_]|AIza|AKIA|ASIA/;

function isBasicCredential(base64: string): boolean {
  return Buffer.from(base64, 'base64').includes(0x3a);
}

/**
 * `text` with every secret inside it replaced by `[REDACTED]`, the text around it kept: private key
 * blocks, the values of secret-named assignments (`?token=`, `password: x`, `"api_key": "…"`),
 * `Bearer`/`Basic` credentials, JWTs, provider keys with a known prefix and URL passwords.
 */
export function scrubSecretText(text: string): string {
  // Nothing shorter can hold a name, a separator and a value (`pwd=x`).
  if (text.length < 5) return text;
  // Each pattern runs only when the text holds a literal it cannot match without: most strings in a
  // tool call (ids, names, paths, prose) hold none, and seven regex scans each is the scrubber's cost.
  // A gate's literal emptied (a mutant) opens it for every text: the pattern runs and finds the same.
  // Stryker disable next-line StringLiteral: a gate (above)
  let out = text.includes('-----BEGIN') ? text.replace(PEM_PRIVATE_KEY, REDACTED) : text;
  // Stryker disable next-line StringLiteral: a gate (above)
  if (out.includes(':') || out.includes('=')) out = scrubAssignments(out);
  if (MAY_HOLD_SCHEME.test(out)) {
    out = out.replace(BEARER, `$1${REDACTED}`);
    out = out.replace(BASIC, (whole, scheme: string, base64: string) => (isBasicCredential(base64) ? `${scheme}${REDACTED}` : whole));
  }
  // Stryker disable next-line StringLiteral: a gate (above)
  if (out.includes('eyJ')) out = out.replace(JWT, REDACTED);
  if (MAY_HOLD_PROVIDER_KEY.test(out)) out = out.replace(PROVIDER_KEY, REDACTED);
  // Stryker disable next-line StringLiteral: a gate (above)
  if (!out.includes('://')) return out;
  return out.replace(URL_PASSWORD, `$1:${REDACTED}@`);
}
