import { DockerRunner, SandboxPool } from '@agent-gateway/sandbox';
import { ApprovalQueue } from './approvals/approval-queue.js';
import { AuditLog } from './audit/audit-log.js';
import { FileRevocationStore } from './auth/file-revocation-store.js';
import { FileUserStore } from './auth/file-user-store.js';
import { withUsersFileLock } from './auth/users-file-lock.js';
import { ContentFilter } from './guards/content-filter.js';
import { KillSwitch } from './guards/kill-switch.js';
import { RateLimiter, type RateLimitOptions } from './guards/rate-limiter.js';
import { FileRedactionRuleStore, RedactionRules } from './redaction/redaction-rules.js';
import type { TokenServiceOptions } from './auth/token-service.js';
import { join } from 'node:path';
import type { GatewayConfig } from './config/index.js';
import { isGatewayError } from './errors/index.js';
import { Gateway, type GatewayOptions } from './gateway.js';

/**
 * What `createGatewayFromConfig(config, options)` takes besides the config: every `GatewayOptions` but those
 * the config sets.
 */
export interface CreateGatewayOptions extends Omit<GatewayOptions, 'auth' | 'bodyLimitBytes' | 'audit'> {
  /** Overrides of what the config sets for auth (a shared user store, asymmetric keys, ...). */
  readonly auth?: Partial<TokenServiceOptions>;
  /** Tool modules the bundled worker's `run` action loads (`<dir>/<tool>.mjs`). */
  readonly sandboxToolsDir?: string;
}

/**
 * A gateway set up from `configFromEnv()`: users in the configured file, tokens signed with the
 * configured secret (or a random one), the audit log at its path, the sandbox worker pool
 * (SANDBOX_*), TTLs and body limit from the config, the external identity provider when one is
 * configured (AGENT_GATEWAY_OIDC_*), and the bootstrap admin created when that user does not exist yet.
 */
export async function createGatewayFromConfig(config: GatewayConfig, options: CreateGatewayOptions = {}): Promise<Gateway> {
  // Processes starting together (cluster mode) take turns: the first brings the users file up to date
  // and creates the bootstrap admin, the others then read it, so all agree on every user's instance id.
  const gateway =
    options.auth?.userStore === undefined ? await withUsersFileLock(config.users.path, () => setUp(config, options)) : await setUp(config, options);
  // Tasks are loaded here and started by the host (`gateway.scheduler.start()`) once its tools are registered.
  await loadTasks(gateway);
  return gateway;
}

async function setUp(config: GatewayConfig, options: CreateGatewayOptions): Promise<Gateway> {
  const { auth, sandboxToolsDir, ...rest } = options;
  const userStore = auth?.userStore ?? (await FileUserStore.open(config.users.path));
  // Revocations outlive a restart, which matters once tokens do (a fixed AGENT_GATEWAY_JWT_SECRET).
  const revocationStore = auth?.revocationStore ?? (await FileRevocationStore.open(join(config.stateDir, 'revocations.json')));
  const secret = config.tokens.jwtSecret;
  const audit = await AuditLog.open(config.audit.path, rest.logger === undefined ? {} : { logger: rest.logger });
  const { webhookUrls, webhookSecret } = config.approvals;
  // Loaded before anything starts, so an unreadable state file stops the start instead of being replaced.
  // The files are the defaults; a host that brings shared ones (Redis) has loaded them itself.
  const redaction = rest.redaction ?? new RedactionRules(new FileRedactionRuleStore(join(config.stateDir, 'redaction-rules.json')));
  const killSwitch = rest.killSwitch ?? new KillSwitch(join(config.stateDir, 'kill-switch.json'));
  const contentFilter = rest.contentFilter ?? new ContentFilter(join(config.stateDir, 'content-filter.json'));
  await Promise.all([
    rest.redaction === undefined ? redaction.load() : undefined,
    rest.killSwitch === undefined ? killSwitch.load() : undefined,
    rest.contentFilter === undefined ? contentFilter.load() : undefined,
  ]);
  const { perTokenPerMinute, globalPerMinute } = config.rateLimits;
  const configuredLimits: RateLimitOptions = {
    global: { perMinute: globalPerMinute },
    perToken: { admin: { perMinute: perTokenPerMinute }, agent: { perMinute: perTokenPerMinute } },
  };
  const workerPool =
    rest.workerPool ??
    (await SandboxPool.start({
      size: config.sandbox.poolSize,
      timeoutMs: config.sandbox.workerTimeoutMs,
      ...(config.sandbox.workerPath === undefined ? {} : { workerPath: config.sandbox.workerPath }),
      ...(sandboxToolsDir === undefined ? {} : { toolsDir: sandboxToolsDir }),
      ...(rest.logger === undefined ? {} : { logger: rest.logger }),
    }));
  const gateway = new Gateway({
    redaction,
    killSwitch,
    contentFilter,
    ...(webhookSecret === undefined ? {} : { webhooks: { urls: webhookUrls, secret: webhookSecret.reveal() } }),
    // Docker is touched (and dockerode loaded) only when a tool with `run: { sandbox: 'docker' }` is called.
    docker: new DockerRunner({ image: config.sandbox.dockerImage, timeoutMs: config.sandbox.workerTimeoutMs, ...(rest.logger === undefined ? {} : { logger: rest.logger }) }),
    ...rest,
    // Options that only add to the configured limits (a shared `store`, `perTool`) keep the configured ones.
    rateLimits: rest.rateLimits instanceof RateLimiter ? rest.rateLimits : { ...configuredLimits, ...rest.rateLimits },
    // A shared task store (Redis) takes the place of the schedule file; a shared lease alone keeps it.
    scheduler: { path: join(config.stateDir, 'schedule.json'), ...rest.scheduler },
    // A shared approval store and feed keep the configured timeout.
    approvals: rest.approvals instanceof ApprovalQueue ? rest.approvals : { timeoutMs: config.approvals.timeoutMs, ...rest.approvals },
    workerPool,
    audit,
    bodyLimitBytes: config.http.bodyLimitBytes,
    protectMetrics: config.http.protectMetrics,
    metrics: rest.metrics ?? { openMetrics: config.http.openMetrics },
    tracing: rest.tracing ?? config.tracing,
    auth: {
      userStore,
      revocationStore,
      accessTtlSeconds: config.tokens.accessTtlSeconds,
      refreshTtlSeconds: config.tokens.refreshTtlSeconds,
      refreshGraceSeconds: config.tokens.refreshGraceSeconds,
      hashSlots: { maxConcurrent: config.login.maxConcurrentHashes, maxQueued: config.login.maxQueuedHashes },
      ...(secret === undefined ? {} : { signingKey: { algorithm: 'HS256', secret: secret.reveal() } }),
      ...(config.oidc === undefined ? {} : { externalIssuers: [config.oidc] }),
      ...auth,
    },
  });
  await bootstrapAdmin(gateway, config);
  return gateway;
}

/**
 * A shared task store that cannot be reached yet (Redis down at start, 503) does not stop the start:
 * the scheduler follows the store, so the tasks arrive, and are armed, as soon as it answers.
 */
async function loadTasks(gateway: Gateway): Promise<void> {
  try {
    await gateway.scheduler.load();
  } catch (error) {
    if (!isGatewayError(error) || error.status !== 503) throw error;
    gateway.logger.warn('the scheduled tasks cannot be read yet; they are run once the task store answers');
  }
}

const BOOTSTRAP_RETRY_MS = 1000;

/**
 * Creates the bootstrap admin unless it exists. A shared user store that cannot be reached yet
 * (Redis down at start, 503) does not stop the start: the gateway serves, refusing what needs the
 * store, and the admin is created as soon as the store answers.
 */
async function bootstrapAdmin(gateway: Gateway, config: GatewayConfig): Promise<void> {
  const attempt = async (): Promise<boolean> => {
    try {
      const { created } = await gateway.auth.bootstrapAdmin(config.admin.username, config.admin.password.reveal());
      if (created) gateway.logger.info('created the bootstrap admin', { username: config.admin.username });
      return true;
    } catch (error) {
      if (!isGatewayError(error) || error.status !== 503) throw error;
      return false;
    }
  };
  if (await attempt()) return;
  gateway.logger.warn('the user store cannot be reached; the bootstrap admin is created once it can', { username: config.admin.username });
  let timer: NodeJS.Timeout | undefined;
  const retry = (): void => {
    timer = setTimeout(() => {
      attempt().then(
        (done) => {
          if (!done && !closed) retry();
        },
        (error: unknown) => gateway.logger.error('could not create the bootstrap admin', { error }),
      );
    }, BOOTSTRAP_RETRY_MS);
    timer.unref();
  };
  let closed = false;
  gateway.events.once('gateway.closed', () => {
    closed = true;
    clearTimeout(timer);
  });
  retry();
}
