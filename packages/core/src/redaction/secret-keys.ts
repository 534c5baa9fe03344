/**
 * Which field names hold secrets. Names are compared normalised: lower-case, without `-`, `_`, `.` or
 * spaces, so `X-Api-Key`, `x_api_key` and `xApiKey` are one name. The lists are exported for the tests
 * and docs/redaction-and-guards.md, which show them; change them together.
 */

/** Secret wherever the name contains one of these: `db_password`, `aws_secret_access_key`, `x-api-key`. */
export const SECRET_KEY_PARTS = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'apikey',
  'accesskey',
  'privatekey',
  'signingkey',
  'encryptionkey',
  'credential',
  'cookie',
  'authorization',
  'authkey',
  'authcode',
  'sessionid',
  'sessid',
  'sessionkey',
  'bearer',
  'csrf',
  'xsrf',
] as const;

/**
 * Secret when the name ends with one of these: `auth_token`, `api_token`, `session_token`, `basic_auth`,
 * `db_pwd`. Only the end, because `token_count`, `tokenId` and `authority` are not secrets. A plural
 * (`max_tokens`, `input_tokens`) is a count of LLM tokens, never a credential, so `tokens` is not here.
 */
export const SECRET_KEY_SUFFIXES = ['token', 'auth', 'pwd'] as const;

/** Secret when the whole name is one of these: too short or too common to look for inside others. */
export const SECRET_KEY_NAMES = ['pass', 'jwt', 'otp', 'totp'] as const;

/**
 * Names that end in `token` but are not credentials: LLM limits and pagination or cancellation cursors.
 * They would otherwise be hidden from the people reading the audit log for no gain.
 */
export const NOT_SECRET_KEY_NAMES = [
  'maxtoken',
  'mintoken',
  'numtoken',
  'pagetoken',
  'nextpagetoken',
  'prevpagetoken',
  'previouspagetoken',
  'continuationtoken',
  'cancellationtoken',
  'synctoken',
] as const;

const NAMES: ReadonlySet<string> = new Set(SECRET_KEY_NAMES);
const NOT_SECRET: ReadonlySet<string> = new Set(NOT_SECRET_KEY_NAMES);

/** `X-Api-Key` -> `xapikey`: the form every rule above is written in. */
export function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[-_.\s]/g, '');
}

/** Whether a value stored under `key` (an object key, a header, a query parameter) is a secret. */
export function isSecretKey(key: string): boolean {
  const name = normalizeKey(key);
  if (NOT_SECRET.has(name)) return false;
  return NAMES.has(name) || SECRET_KEY_SUFFIXES.some((suffix) => name.endsWith(suffix)) || SECRET_KEY_PARTS.some((part) => name.includes(part));
}
