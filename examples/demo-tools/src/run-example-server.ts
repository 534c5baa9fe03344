import cluster from 'node:cluster';
import { extname, resolve } from 'node:path';
import { configFromEnv, createGatewayFromConfig, createJsonLogger, type Gateway, type GatewayConfig, type GatewayPlugin } from '@agent-gateway/core';
import { consolePlugin } from '@agent-gateway/console';
import { loadUpstreamsFile, mcpPlugin, mcpUpstreams } from '@agent-gateway/mcp';
import { cedarPolicies } from '@agent-gateway/policy-cedar';
import { redisStoresFromConfig } from '@agent-gateway/redis';
import { vaultSecretStoreFromConfig } from '@agent-gateway/vault';
import { registerDemoTools } from './index.js';
import { startTracingFromEnv } from './tracing.js';

/** What a framework-specific example provides: serve this gateway on this port and host. */
export type Serve = (gateway: Gateway, port: number, host: string) => Promise<{ port: number; close(): Promise<void> }>;

/** A clear message and a non-zero exit, not a stack trace. */
function fail(message: string): never {
  process.stderr.write(`agent-gateway: ${message}\n`);
  process.exit(1);
}

function workerCount(): number {
  const raw = process.env.WORKERS ?? '1';
  const count = Number(raw);
  if (!Number.isInteger(count) || count < 1 || count > 64) fail(`WORKERS must be a whole number 1..64, got ${JSON.stringify(raw)}`);
  return count;
}

/** `agent-gateway/audit.log` -> `agent-gateway/audit.worker-2.log`: one audit chain per process. */
function perWorkerPath(path: string, id: number): string {
  const extension = extname(path);
  return `${path.slice(0, path.length - extension.length)}.worker-${id}${extension}`;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/**
 * The MCP endpoint at `/mcp` unless MCP_ENABLED=false. Bound to loopback it refuses other `Host`s
 * (DNS rebinding); bound further, clients name the host they reach it by, which the gateway cannot
 * know unless the resource URL (AGENT_GATEWAY_OIDC_AUDIENCE) says it, so the Host check is then
 * left to the proxy in front.
 */
function pluginsFor(config: GatewayConfig, host: string): GatewayPlugin[] {
  // MCP servers behind the gateway (MCP_UPSTREAMS_FILE): their tools, through the pipeline, on /tools/call and /mcp.
  const upstreams = config.mcp.upstreamsFile === undefined ? [] : [mcpUpstreams({ upstreams: loadUpstreamsFile(config.mcp.upstreamsFile) })];
  if (!config.mcp.enabled) return upstreams;
  const resourceUrl = config.oidc?.audience;
  const hostCheck = LOOPBACK_HOSTS.has(host) || resourceUrl !== undefined ? {} : { allowedHosts: false as const };
  return [mcpPlugin({ ...(resourceUrl === undefined ? {} : { resourceUrl }), ...hostCheck }), ...upstreams];
}

/**
 * The part every example server shares: configuration from the environment, the gateway with the
 * demo tools, one start line, clean shutdown on SIGINT/SIGTERM, and cluster mode (`WORKERS=4`, the
 * runbook's `--workers 4`): that many processes on one port.
 */
export async function runExampleServer(framework: string, serve: Serve): Promise<void> {
  // `npm start` runs in the example's folder; relative paths should mean where the operator ran npm.
  if (process.env.INIT_CWD !== undefined) process.chdir(process.env.INIT_CWD);
  const workers = workerCount();
  const port = Number(process.env.PORT ?? 8080);
  const host = process.env.HOST ?? '127.0.0.1';
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`PORT must be 0..65535, got ${JSON.stringify(process.env.PORT)}`);

  if (workers > 1 && cluster.isPrimary) {
    // Tokens must verify on every process, so they cannot be signed with a per-process random key.
    if ((process.env.AGENT_GATEWAY_JWT_SECRET ?? '') === '') fail('WORKERS > 1 needs AGENT_GATEWAY_JWT_SECRET (every process must accept the same tokens)');
    try {
      configFromEnv(process.env);
    } catch (error) {
      fail(error instanceof Error ? error.message : String(error));
    }
    let listening = 0;
    for (let i = 0; i < workers; i += 1) {
      const worker = cluster.fork({ GATEWAY_WORKER_ID: String(i + 1) });
      worker.on('message', (message: unknown) => {
        if (typeof message === 'object' && message !== null && 'listening' in message) {
          listening += 1;
          if (listening === workers) {
            const shownHost = host.includes(':') ? `[${host}]` : host;
            process.stdout.write(`agent-gateway (${framework}, ${workers} workers) listening on http://${shownHost}:${String((message as { listening: number }).listening)}\n`);
          }
        }
      });
    }
    let stopping = false;
    cluster.on('exit', (worker, code) => {
      if (!stopping) process.stderr.write(`agent-gateway: worker ${worker.process.pid ?? '?'} exited (${code}); restart the gateway if the pool is depleted\n`);
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(stopping ? 0 : 1);
    });
    const stop = (): void => {
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM');
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    return;
  }

  try {
    const config = configFromEnv(process.env);
    // OpenTelemetry when OTEL_EXPORTER_OTLP_ENDPOINT (or another OTEL_* exporter variable) is set: before anything serves.
    const tracing = await startTracingFromEnv(process.env, (message) => process.stderr.write(`agent-gateway: ${message}\n`));
    const workerId = Number(process.env.GATEWAY_WORKER_ID ?? 0);
    const effective = workerId > 0 ? { ...config, audit: { path: perWorkerPath(config.audit.path, workerId) } } : config;
    const logger = createJsonLogger();
    // Provider keys from Vault when VAULT_ADDR is set (falling back per key to <NAME>_API_KEY), else the environment.
    const secrets = await vaultSecretStoreFromConfig(effective, { logger });
    // Revocations, rate limits, ... shared by every process through Redis when REDIS_URL is set, else kept per process.
    const redis = await redisStoresFromConfig(effective, { logger });
    // The approval console at /console/: static files only, everything it does goes through the API above.
    const plugins = [...pluginsFor(effective, host), ...(redis?.plugins ?? []), consolePlugin()];
    // Cedar policies when AGENT_GATEWAY_POLICY_FILE is set (docs/policies.md); the file is watched for changes.
    const policy = effective.policy.file === undefined ? undefined : cedarPolicies({ file: resolve(effective.policy.file) });
    const gateway = await createGatewayFromConfig(effective, { logger, ...redis, plugins, ...(secrets === undefined ? {} : { secrets }), ...(policy === undefined ? {} : { policy }) });
    registerDemoTools(gateway, { scratchDir: resolve(process.env.SCRATCH_DIR ?? 'agent-gateway/scratch') });
    // A set that does not validate stops the start with its reason, unless it may name upstream tools not
    // registered yet: then calls get 503 until they are, and the reason is logged.
    if (policy !== undefined && effective.mcp.upstreamsFile === undefined) await gateway.policies.start();
    else if (policy !== undefined) gateway.policies.start().catch(() => undefined);
    gateway.scheduler.start();
    // In cluster mode every worker binds the same port (the primary shares it): 0 would mean one each.
    const server = await serve(gateway, port, host);
    if (cluster.isWorker) process.send?.({ listening: server.port });
    else {
      const shownHost = host.includes(':') ? `[${host}]` : host;
      process.stdout.write(`agent-gateway (${framework}) listening on http://${shownHost}:${server.port}\n`);
    }
    const shutdown = (): void => {
      void server
        .close()
        .then(() => gateway.close())
        // The last spans are flushed; an exporter that cannot be reached does not hold the exit.
        .then(() => tracing?.shutdown().catch(() => undefined))
        .then(() => process.exit(0));
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
}
