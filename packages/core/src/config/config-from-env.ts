import { ConfigError } from '../errors/config-error.js';
import type { ErrorIssue } from '../errors/gateway-error.js';
import { ENV_VARIABLES, envSchema, type EnvVariableName } from './env-variables.js';
import type { SecretValue } from './secret-value.js';
import { oidcConfigOf, type OidcConfig } from './oidc-env.js';
import { scrubSecretText } from '../redaction/secret-text.js';

/** The gateway's settings, parsed and checked. Secrets are `SecretValue`s, so printing this is safe. */
export interface GatewayConfig {
  readonly admin: { readonly username: string; readonly password: SecretValue };
  readonly tokens: {
    readonly accessTtlSeconds: number;
    readonly refreshTtlSeconds: number;
    /** A rotated refresh token presented again within this many seconds gets the same pair (0: never). */
    readonly refreshGraceSeconds: number;
    /** Undefined: a random key per start. */
    readonly jwtSecret: SecretValue | undefined;
  };
  /** An external identity provider whose access tokens are accepted too (AGENT_GATEWAY_OIDC_*); undefined: none. */
  readonly oidc: OidcConfig | undefined;
  readonly users: { readonly path: string };
  /** Bounds on password hashing: how many run at once, how many logins may wait for one. */
  readonly login: { readonly maxConcurrentHashes: number; readonly maxQueuedHashes: number };
  readonly audit: { readonly path: string };
  /** Where redaction rules, the kill switch and content-filter rules are kept. */
  readonly stateDir: string;
  readonly rateLimits: { readonly perTokenPerMinute: number; readonly globalPerMinute: number };
  readonly approvals: {
    readonly timeoutMs: number;
    readonly webhookUrls: readonly string[];
    readonly webhookSecret: SecretValue | undefined;
  };
  readonly http: { readonly bodyLimitBytes: number; readonly protectMetrics: boolean; readonly openMetrics: boolean };
  readonly sandbox: {
    /** Undefined: the bundled worker. */
    readonly workerPath: string | undefined;
    readonly poolSize: number;
    readonly workerTimeoutMs: number;
    readonly dockerImage: string;
  };
  /**
   * Whether a server built from this config serves the MCP endpoint (`@agent-gateway/mcp`), and the
   * JSON file of MCP servers it puts behind the gateway (undefined: none).
   */
  readonly mcp: { readonly enabled: boolean; readonly upstreamsFile: string | undefined };
  /** The Cedar policy file the example servers load (`@agent-gateway/policy-cedar`), reloaded when it changes. */
  readonly policy: { readonly file: string | undefined };
  /** What the OpenTelemetry spans record: tool arguments only when `recordArguments` (AGENT_GATEWAY_TRACE_ARGS). */
  readonly tracing: { readonly recordArguments: boolean };
  readonly vault: {
    /** Undefined: Vault is not configured; provider keys come from the environment. */
    readonly address: string | undefined;
    readonly token: SecretValue | undefined;
    readonly kvMount: string;
    readonly kvPrefix: string;
  };
  /** Redis shared by every gateway process (`@agent-gateway/redis`); undefined url: none, each process keeps its own state. */
  readonly redis: { readonly url: SecretValue | undefined; readonly keyPrefix: string };
}

/** Environment variables, as `process.env` holds them. */
export type Env = Readonly<Record<string, string | undefined>>;

const SECRET_NAMES = new Set(ENV_VARIABLES.filter((v) => v.secret).map((v) => v.name));

/**
 * Reads every variable of the runbook's table from `env` (default `process.env`), applies the
 * defaults, and throws a ConfigError naming every bad variable at once. A missing
 * AGENT_GATEWAY_ADMIN_PASS is such an error.
 */
export function configFromEnv(env: Env = process.env): GatewayConfig {
  const input: Partial<Record<EnvVariableName, string>> = {};
  for (const { name } of ENV_VARIABLES) {
    const value = env[name];
    if (value !== undefined) input[name] = value;
  }
  const parsed = envSchema.safeParse(input);
  if (!parsed.success) {
    const issues: ErrorIssue[] = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '(environment)');
      const raw = input[name as EnvVariableName];
      // A secret variable is never shown; any other is shown scrubbed (a URL may carry a password).
      const shown = raw === undefined || SECRET_NAMES.has(name as EnvVariableName) ? '' : ` (got ${JSON.stringify(scrubSecretText(raw))})`;
      return { path: name, message: `${issue.message}${shown}` };
    });
    throw new ConfigError(issues);
  }
  const v = parsed.data;
  return {
    admin: { username: v.AGENT_GATEWAY_ADMIN_USER, password: v.AGENT_GATEWAY_ADMIN_PASS },
    tokens: {
      accessTtlSeconds: v.AGENT_GATEWAY_ACCESS_EXPIRE,
      refreshTtlSeconds: v.AGENT_GATEWAY_REFRESH_EXPIRE,
      refreshGraceSeconds: v.AGENT_GATEWAY_REFRESH_GRACE,
      jwtSecret: v.AGENT_GATEWAY_JWT_SECRET,
    },
    oidc: oidcConfigOf(v),
    users: { path: v.AGENT_GATEWAY_USERS_PATH },
    login: { maxConcurrentHashes: v.AGENT_GATEWAY_LOGIN_CONCURRENCY, maxQueuedHashes: v.AGENT_GATEWAY_LOGIN_QUEUE },
    audit: { path: v.AGENT_GATEWAY_AUDIT_PATH },
    stateDir: v.AGENT_GATEWAY_STATE_DIR,
    rateLimits: { perTokenPerMinute: v.AGENT_GATEWAY_RATE_LIMIT, globalPerMinute: v.AGENT_GATEWAY_RATE_LIMIT_GLOBAL },
    approvals: {
      timeoutMs: v.AGENT_GATEWAY_APPROVAL_TIMEOUT * 1000,
      webhookUrls: v.AGENT_GATEWAY_WEBHOOK_URLS,
      webhookSecret: v.AGENT_GATEWAY_WEBHOOK_SECRET,
    },
    http: { bodyLimitBytes: v.AGENT_GATEWAY_BODY_LIMIT, protectMetrics: v.AGENT_GATEWAY_METRICS_AUTH, openMetrics: v.AGENT_GATEWAY_METRICS_FORMAT === 'openmetrics' },
    sandbox: {
      workerPath: v.SANDBOX_WORKER_PATH,
      poolSize: v.SANDBOX_POOL_SIZE,
      workerTimeoutMs: Math.round(v.SANDBOX_WORKER_TIMEOUT * 1000),
      dockerImage: v.SANDBOX_DOCKER_IMAGE,
    },
    mcp: { enabled: v.MCP_ENABLED, upstreamsFile: v.MCP_UPSTREAMS_FILE },
    policy: { file: v.AGENT_GATEWAY_POLICY_FILE },
    tracing: { recordArguments: v.AGENT_GATEWAY_TRACE_ARGS },
    vault: {
      address: v.VAULT_ADDR,
      token: v.VAULT_TOKEN,
      kvMount: v.VAULT_KV_MOUNT,
      kvPrefix: v.VAULT_KV_PREFIX,
    },
    redis: { url: v.REDIS_URL, keyPrefix: v.REDIS_KEY_PREFIX },
  };
}
