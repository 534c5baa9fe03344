export const REDACTED = '[REDACTED]';

/** Field names whose values are secrets wherever they appear (compared without case, `-` or `_`). */
const SECRET_KEYS = new Set([
  'password',
  'passwd',
  'pass',
  'secret',
  'token',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'authorization',
  'apikey',
  'cookie',
  'setcookie',
  'clientsecret',
  'privatekey',
  'jwtsecret',
  'credentials',
]);

/** A JWT, wherever it appears, is a credential. */
const JWT = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

function isSecretKey(key: string): boolean {
  return SECRET_KEYS.has(key.toLowerCase().replace(/[-_]/g, ''));
}

/**
 * A copy of `value` in which passwords, tokens, keys and anything that looks like a JWT are
 * replaced by `[REDACTED]`, at any depth. The audit log writes only what has passed through here.
 */
export function scrubSecrets(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return JWT.test(value) ? REDACTED : value;
  if (value === null || typeof value !== 'object') return value;
  if (depth > 100) return REDACTED;
  if (Array.isArray(value)) return value.map((item) => scrubSecrets(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    out[key] = isSecretKey(key) ? REDACTED : scrubSecrets(child, depth + 1);
  }
  return out;
}
