import { z } from 'zod';
import { SecretValue } from './secret-value.js';
import { OIDC_ENV_DOCS, OIDC_ENV_FIELDS, oidcEnvProblems } from './oidc-env.js';

/**
 * Every environment variable the gateway reads, with its default and meaning: the runbook's table,
 * plus the gateway's own. This list is the single source of the parsing, the error messages and
 * the table of docs/configuration.md (test/docs-tables.test.ts holds it to this list).
 */

const ONE_YEAR_SECONDS = 365 * 24 * 60 * 60;
const MIB = 1024 * 1024;

/** Unset and empty mean the same: a variable exported as `VAR=` is not a value. */
function optionalString(): z.ZodType<string | undefined> {
  return z
    .string()
    .optional()
    .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));
}

function wholeNumber(min: number, max: number, unit: string, fallback: number): z.ZodType<number> {
  return optionalString().pipe(
    z
      .string()
      .regex(/^\d+$/, `expected a whole number of ${unit} (${min}..${max})`)
      .transform(Number)
      .pipe(z.number().int().min(min, `must be at least ${min} ${unit}`).max(max, `must be at most ${max} ${unit}`))
      .optional()
      .transform((value) => value ?? fallback),
  );
}

function positiveSeconds(max: number, fallback: number): z.ZodType<number> {
  return optionalString().pipe(
    z
      .string()
      .regex(/^\d+(\.\d+)?$/, `expected a number of seconds greater than 0 (at most ${max})`)
      .transform(Number)
      .pipe(z.number().gt(0, 'must be greater than 0 seconds').max(max, `must be at most ${max} seconds`))
      .optional()
      .transform((value) => value ?? fallback),
  );
}

function withDefault(schema: z.ZodType<string, string>, fallback: string): z.ZodType<string> {
  return optionalString().pipe(
    schema.optional().transform((value) => value ?? fallback),
  );
}

/** A path inside a Vault mount: segments of safe characters, no `..`, surrounding slashes dropped. */
const vaultPath = z
  .string()
  .transform((value) => value.replace(/^\/+|\/+$/g, ''))
  .pipe(
    z
      .string()
      .min(1, 'must not be empty')
      .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, 'expected path segments of letters, digits, . _ - separated by /')
      .refine((value) => !value.split('/').includes('..'), 'must not contain ..'),
  );

export const envSchema = z
  .object({
  AGENT_GATEWAY_ADMIN_USER: withDefault(
    z.string().regex(/^[A-Za-z0-9._@-]{1,64}$/, 'expected 1..64 letters, digits or . _ @ -'),
    'admin',
  ),
  AGENT_GATEWAY_ADMIN_PASS: z
    .string({ error: 'is required: set the bootstrap admin password' })
    .min(1, 'is required: set the bootstrap admin password')
    .transform((value) => new SecretValue(value)),
  AGENT_GATEWAY_ACCESS_EXPIRE: wholeNumber(1, ONE_YEAR_SECONDS, 'seconds', 3600),
  AGENT_GATEWAY_REFRESH_EXPIRE: wholeNumber(1, ONE_YEAR_SECONDS, 'seconds', 604800),
  AGENT_GATEWAY_REFRESH_GRACE: wholeNumber(0, 300, 'seconds', 15),
  AGENT_GATEWAY_LOGIN_CONCURRENCY: wholeNumber(1, 64, 'password hashes', 2),
  AGENT_GATEWAY_LOGIN_QUEUE: wholeNumber(0, 10_000, 'logins', 32),
  AGENT_GATEWAY_JWT_SECRET: optionalString().pipe(
    z
      .string()
      .refine((value) => Buffer.byteLength(value) >= 32, 'must be at least 32 bytes (e.g. `openssl rand -base64 48`)')
      .transform((value) => new SecretValue(value))
      .optional(),
  ),
  AGENT_GATEWAY_USERS_PATH: withDefault(z.string().max(4096), 'agent-gateway/users.json'),
  AGENT_GATEWAY_AUDIT_PATH: withDefault(z.string().max(4096), 'agent-gateway/audit.log'),
  AGENT_GATEWAY_APPROVAL_TIMEOUT: wholeNumber(1, 7 * 24 * 3600, 'seconds', 300),
  AGENT_GATEWAY_WEBHOOK_URLS: optionalString().pipe(
    z
      .string()
      .transform((value) => value.split(',').map((url) => url.trim()).filter((url) => url !== ''))
      .pipe(z.array(z.url({ protocol: /^https?$/, error: 'expected comma-separated http:// or https:// URLs' })).max(16))
      .optional()
      .transform((value) => value ?? []),
  ),
  AGENT_GATEWAY_WEBHOOK_SECRET: optionalString().pipe(
    z
      .string()
      .refine((value) => Buffer.byteLength(value) >= 16, 'must be at least 16 bytes')
      .transform((value) => new SecretValue(value))
      .optional(),
  ),
  AGENT_GATEWAY_STATE_DIR: withDefault(z.string().max(4096), 'agent-gateway'),
  AGENT_GATEWAY_RATE_LIMIT: wholeNumber(0, 1_000_000, 'calls per minute', 600),
  AGENT_GATEWAY_RATE_LIMIT_GLOBAL: wholeNumber(0, 100_000_000, 'calls per minute', 6000),
  AGENT_GATEWAY_METRICS_AUTH: optionalString().pipe(
    z
      .enum(['true', 'false'], { error: 'expected true or false' })
      .optional()
      .transform((value) => value === 'true'),
  ),
  AGENT_GATEWAY_METRICS_FORMAT: optionalString().pipe(z.enum(['prometheus', 'openmetrics'], { error: 'expected prometheus or openmetrics' }).default('prometheus')),
  AGENT_GATEWAY_BODY_LIMIT: wholeNumber(1024, 64 * MIB, 'bytes', MIB),
  AGENT_GATEWAY_TRACE_ARGS: optionalString().pipe(
    z
      .enum(['true', 'false'], { error: 'expected true or false' })
      .optional()
      .transform((value) => value === 'true'),
  ),
  ...OIDC_ENV_FIELDS,
  SANDBOX_WORKER_PATH: optionalString(),
  SANDBOX_POOL_SIZE: wholeNumber(1, 64, 'workers', 2),
  SANDBOX_WORKER_TIMEOUT: positiveSeconds(3600, 5),
  SANDBOX_DOCKER_IMAGE: withDefault(
    z
      .string()
      .max(255, 'must be at most 255 characters')
      .regex(/^[a-z0-9][a-z0-9._/:@-]*$/, 'expected an image reference such as python:3.11-slim'),
    'python:3.11-slim',
  ),
  VAULT_ADDR: optionalString().pipe(
    z
      .url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' })
      .transform((value) => value.replace(/\/+$/, ''))
      .optional(),
  ),
  VAULT_TOKEN: optionalString().transform((value) => (value === undefined ? undefined : new SecretValue(value))),
  VAULT_KV_MOUNT: withDefault(vaultPath, 'secret'),
  VAULT_KV_PREFIX: withDefault(vaultPath, 'intelli/providers'),
  MCP_ENABLED: optionalString().pipe(
    z
      .enum(['true', 'false'], { error: 'expected true or false' })
      .optional()
      .transform((value) => value !== 'false'),
  ),
  MCP_UPSTREAMS_FILE: optionalString().pipe(z.string().max(4096, 'must be at most 4096 characters').optional()),
  AGENT_GATEWAY_POLICY_FILE: optionalString().pipe(z.string().max(4096, 'must be at most 4096 characters').optional()),
  // A secret: the URL may carry the server's password.
  REDIS_URL: optionalString().pipe(
    z
      .url({ protocol: /^rediss?$/, error: 'expected a redis:// or rediss:// URL' })
      .transform((value) => new SecretValue(value))
      .optional(),
  ),
  REDIS_KEY_PREFIX: withDefault(z.string().max(200, 'must be at most 200 characters').regex(/^[^\s]+$/, 'must not contain spaces'), 'agent-gateway:'),
  })
  .superRefine((env, context) => {
    for (const { variable, message } of oidcEnvProblems(env)) context.addIssue({ code: 'custom', path: [variable], message });
    if (env.AGENT_GATEWAY_WEBHOOK_URLS.length > 0 && env.AGENT_GATEWAY_WEBHOOK_SECRET === undefined) {
      context.addIssue({ code: 'custom', path: ['AGENT_GATEWAY_WEBHOOK_SECRET'], message: 'is required when AGENT_GATEWAY_WEBHOOK_URLS is set' });
    }
  });

/** The name of an environment variable the gateway reads. */
export type EnvVariableName = keyof z.input<typeof envSchema>;

/** One environment variable as docs/configuration.md shows it. */
export interface EnvVariableDoc {
  readonly name: EnvVariableName;
  /** The default as the runbook writes it. */
  readonly default: string;
  readonly description: string;
  /** A secret's value never appears in an error message. */
  readonly secret: boolean;
}

/**
 * Every environment variable the gateway reads, with its default and meaning: the source of
 * docs/configuration.md's table.
 */
export const ENV_VARIABLES: readonly EnvVariableDoc[] = [
  { name: 'AGENT_GATEWAY_ADMIN_USER', default: '`admin`', description: 'Bootstrap admin username', secret: false },
  { name: 'AGENT_GATEWAY_ADMIN_PASS', default: '(required)', description: 'Bootstrap admin password', secret: true },
  { name: 'AGENT_GATEWAY_ACCESS_EXPIRE', default: '`3600`', description: 'Access token TTL (seconds)', secret: false },
  { name: 'AGENT_GATEWAY_REFRESH_EXPIRE', default: '`604800`', description: 'Refresh token TTL (seconds)', secret: false },
  { name: 'AGENT_GATEWAY_REFRESH_GRACE', default: '`15`', description: 'How long after a refresh token is rotated the same token may come again (a client retrying) and get the same new pair instead of revoking its session (seconds; 0: off)', secret: false },
  { name: 'AGENT_GATEWAY_LOGIN_CONCURRENCY', default: '`2`', description: 'Password hashes (scrypt, 128 MiB each) run at once; other logins wait in the queue', secret: false },
  { name: 'AGENT_GATEWAY_LOGIN_QUEUE', default: '`32`', description: 'Logins that may wait for a password hash; beyond it a login gets `503 auth_busy` with `Retry-After` at once', secret: false },
  { name: 'AGENT_GATEWAY_JWT_SECRET', default: '(random at start)', description: 'HS256 signing secret, at least 32 bytes; unset means a new random key each start, so a restart invalidates every token', secret: true },
  { name: 'AGENT_GATEWAY_USERS_PATH', default: '`agent-gateway/users.json`', description: 'Users file (scrypt hashes, mode 0600)', secret: false },
  { name: 'AGENT_GATEWAY_AUDIT_PATH', default: '`agent-gateway/audit.log`', description: 'Audit log (JSON Lines, hash-chained, mode 0600)', secret: false },
  { name: 'AGENT_GATEWAY_APPROVAL_TIMEOUT', default: '`300`', description: 'How long a held call waits for a decision before it expires (seconds)', secret: false },
  { name: 'AGENT_GATEWAY_WEBHOOK_URLS', default: '—', description: 'Comma-separated URLs that receive every approval change (signed POST)', secret: false },
  { name: 'AGENT_GATEWAY_WEBHOOK_SECRET', default: '—', description: 'HMAC-SHA256 key for the webhook signature; required with the URLs', secret: true },
  { name: 'AGENT_GATEWAY_STATE_DIR', default: '`agent-gateway`', description: 'Folder for redaction rules, the kill switch, content-filter rules, revocations and scheduled tasks (JSON, atomic writes)', secret: false },
  { name: 'AGENT_GATEWAY_RATE_LIMIT', default: '`600`', description: 'Tool calls per minute per access token (0: no limit)', secret: false },
  { name: 'AGENT_GATEWAY_RATE_LIMIT_GLOBAL', default: '`6000`', description: 'Tool calls per minute for all callers together (0: no limit)', secret: false },
  { name: 'AGENT_GATEWAY_METRICS_AUTH', default: '`false`', description: '`true`: `/metrics` needs an admin or approver bearer token', secret: false },
  {
    name: 'AGENT_GATEWAY_METRICS_FORMAT',
    default: '`prometheus`',
    description: '`openmetrics`: `/metrics` in the OpenMetrics format, `tool_call_duration_seconds` with trace-id exemplars; see [Observability](observability.md)',
    secret: false,
  },
  {
    name: 'AGENT_GATEWAY_TRACE_ARGS',
    default: '`false`',
    description: '`true`: tool-call spans carry the arguments (`gen_ai.tool.call.arguments`), redacted and scrubbed first; see [Observability](observability.md)',
    secret: false,
  },
  { name: 'AGENT_GATEWAY_BODY_LIMIT', default: '`1048576`', description: 'Largest accepted request body (bytes)', secret: false },
  ...OIDC_ENV_DOCS,
  { name: 'SANDBOX_WORKER_PATH', default: '(bundled)', description: 'Path to the sandbox worker program (`.py` runs with python3)', secret: false },
  { name: 'SANDBOX_POOL_SIZE', default: '`2`', description: 'Persistent worker pool size', secret: false },
  { name: 'SANDBOX_WORKER_TIMEOUT', default: '`5`', description: 'Per-call timeout (seconds)', secret: false },
  { name: 'SANDBOX_DOCKER_IMAGE', default: '`python:3.11-slim`', description: 'Docker image for isolated runs', secret: false },
  { name: 'VAULT_ADDR', default: '—', description: 'HashiCorp Vault URL', secret: false },
  { name: 'VAULT_TOKEN', default: '—', description: 'Vault auth token', secret: true },
  { name: 'VAULT_KV_MOUNT', default: '`secret`', description: 'Vault KV mount', secret: false },
  { name: 'VAULT_KV_PREFIX', default: '`intelli/providers`', description: 'Vault secret prefix', secret: false },
  { name: 'MCP_ENABLED', default: '`true`', description: 'The example servers serve the MCP endpoint at `/mcp` (`@agent-gateway/mcp`); `false` turns it off', secret: false },
  { name: 'MCP_UPSTREAMS_FILE', default: '—', description: 'A JSON file of MCP servers the example servers put behind the gateway (`@agent-gateway/mcp` upstreams): their tools become `<upstream>.<tool>`', secret: false },
  { name: 'AGENT_GATEWAY_POLICY_FILE', default: '—', description: 'A file of Cedar policies the example servers load (`@agent-gateway/policy-cedar`, see docs/policies.md): allow, deny or approval by N people per caller, tool, args and time; reloaded when it changes and by `POST /admin/policies/reload`. Unset: roles, allow-lists and `requiresApproval` decide alone', secret: false },
  { name: 'REDIS_URL', default: '—', description: 'Redis (6.2+) shared by every gateway process (`@agent-gateway/redis`: revocations, rate limits, ...); unset: each process keeps its own state', secret: true },
  { name: 'REDIS_KEY_PREFIX', default: '`agent-gateway:`', description: 'Prefix of every Redis key, so several gateways can share one Redis', secret: false },
];
