import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, configFromEnv, ENV_VARIABLES, GatewayError } from '../src/index.js';

const REQUIRED = { AGENT_GATEWAY_ADMIN_PASS: 'pw' };

function configError(env: Record<string, string>): ConfigError {
  try {
    configFromEnv(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toBeInstanceOf(GatewayError);
    return error as ConfigError;
  }
  throw new Error('expected configFromEnv to throw');
}

describe('configFromEnv', () => {
  it('applies every default of the runbook table', () => {
    const config = configFromEnv(REQUIRED);
    expect(config.admin.username).toBe('admin');
    expect(config.admin.password.reveal()).toBe('pw');
    expect(config.tokens).toEqual({ accessTtlSeconds: 3600, refreshTtlSeconds: 604800, refreshGraceSeconds: 15 });
    expect(config.login).toEqual({ maxConcurrentHashes: 2, maxQueuedHashes: 32 });
    expect(config.http).toEqual({ bodyLimitBytes: 1048576, protectMetrics: false, openMetrics: false });
    expect(config.sandbox).toEqual({ workerPath: undefined, poolSize: 2, workerTimeoutMs: 5000, dockerImage: 'python:3.11-slim' });
    expect(config.vault).toEqual({ address: undefined, token: undefined, kvMount: 'secret', kvPrefix: 'intelli/providers' });
    expect(config.mcp).toEqual({ enabled: true });
  });

  it('MCP_ENABLED=false turns the MCP endpoint off; true (or unset) keeps it', () => {
    expect(configFromEnv({ ...REQUIRED, MCP_ENABLED: 'false' }).mcp.enabled).toBe(false);
    expect(configFromEnv({ ...REQUIRED, MCP_ENABLED: 'true' }).mcp.enabled).toBe(true);
    expect(configFromEnv({ ...REQUIRED, MCP_ENABLED: '' }).mcp.enabled).toBe(true);
  });

  it('reads every variable when set', () => {
    const config = configFromEnv({
      AGENT_GATEWAY_ADMIN_USER: 'root@example',
      AGENT_GATEWAY_ADMIN_PASS: ' spaces kept ',
      AGENT_GATEWAY_ACCESS_EXPIRE: '60',
      AGENT_GATEWAY_REFRESH_EXPIRE: '120',
      AGENT_GATEWAY_REFRESH_GRACE: '0',
      AGENT_GATEWAY_LOGIN_CONCURRENCY: '1',
      AGENT_GATEWAY_LOGIN_QUEUE: '0',
      AGENT_GATEWAY_BODY_LIMIT: '2048',
      SANDBOX_WORKER_PATH: '/opt/worker.py',
      SANDBOX_POOL_SIZE: '4',
      SANDBOX_WORKER_TIMEOUT: '0.25',
      SANDBOX_DOCKER_IMAGE: 'ghcr.io/acme/worker:1.2@sha256:abc',
      VAULT_ADDR: 'https://vault.internal:8200/',
      VAULT_TOKEN: 'hvs.token',
      VAULT_KV_MOUNT: '/kv/',
      VAULT_KV_PREFIX: 'team/providers',
    });
    expect(config.admin.username).toBe('root@example');
    expect(config.admin.password.reveal()).toBe(' spaces kept ');
    expect(config.tokens).toEqual({ accessTtlSeconds: 60, refreshTtlSeconds: 120, refreshGraceSeconds: 0 });
    expect(config.login).toEqual({ maxConcurrentHashes: 1, maxQueuedHashes: 0 });
    expect(config.http.bodyLimitBytes).toBe(2048);
    expect(configFromEnv({ ...REQUIRED, AGENT_GATEWAY_METRICS_AUTH: 'true' }).http.protectMetrics).toBe(true);
    expect(configFromEnv({ ...REQUIRED, AGENT_GATEWAY_METRICS_FORMAT: 'openmetrics' }).http.openMetrics).toBe(true);
    expect(() => configFromEnv({ ...REQUIRED, AGENT_GATEWAY_METRICS_FORMAT: 'json' })).toThrow(/AGENT_GATEWAY_METRICS_FORMAT: expected prometheus or openmetrics/);
    expect(config.sandbox).toEqual({
      workerPath: '/opt/worker.py',
      poolSize: 4,
      workerTimeoutMs: 250,
      dockerImage: 'ghcr.io/acme/worker:1.2@sha256:abc',
    });
    expect(config.vault.address).toBe('https://vault.internal:8200');
    expect(config.vault.token?.reveal()).toBe('hvs.token');
    expect(config.vault.kvMount).toBe('kv');
    expect(config.vault.kvPrefix).toBe('team/providers');
  });

  it('treats an empty variable as unset', () => {
    const config = configFromEnv({ ...REQUIRED, AGENT_GATEWAY_ACCESS_EXPIRE: '', VAULT_ADDR: '  ', SANDBOX_WORKER_PATH: '' });
    expect(config.tokens.accessTtlSeconds).toBe(3600);
    expect(config.vault.address).toBeUndefined();
    expect(config.sandbox.workerPath).toBeUndefined();
  });

  it('a missing or empty AGENT_GATEWAY_ADMIN_PASS is an error naming it', () => {
    for (const env of [{}, { AGENT_GATEWAY_ADMIN_PASS: "" }] as Array<Record<string, string>>) {
      const error = configError(env);
      expect(error.code).toBe('invalid_config');
      expect(error.message).toMatch(/AGENT_GATEWAY_ADMIN_PASS: is required/);
    }
  });

  it.each([
    ['AGENT_GATEWAY_ADMIN_USER', 'has space', /expected 1\.\.64 letters/],
    ['AGENT_GATEWAY_ACCESS_EXPIRE', 'abc', /expected a whole number of seconds/],
    ['AGENT_GATEWAY_ACCESS_EXPIRE', '0', /at least 1 seconds/],
    ['AGENT_GATEWAY_ACCESS_EXPIRE', '1.5', /expected a whole number/],
    ['AGENT_GATEWAY_REFRESH_EXPIRE', '-5', /expected a whole number/],
    ['AGENT_GATEWAY_REFRESH_EXPIRE', '99999999999', /at most 31536000 seconds/],
    ['AGENT_GATEWAY_BODY_LIMIT', '10', /at least 1024 bytes/],
    ['SANDBOX_POOL_SIZE', '0', /at least 1 workers/],
    ['SANDBOX_POOL_SIZE', 'two', /expected a whole number of workers/],
    ['SANDBOX_POOL_SIZE', '65', /at most 64 workers/],
    ['SANDBOX_WORKER_TIMEOUT', '0', /greater than 0/],
    ['SANDBOX_WORKER_TIMEOUT', 'soon', /expected a number of seconds/],
    ['SANDBOX_DOCKER_IMAGE', 'Not An Image', /expected an image reference/],
    ['VAULT_ADDR', 'vault:8200', /expected an http:\/\/ or https:\/\/ URL/],
    ['VAULT_ADDR', 'ftp://vault', /expected an http:\/\/ or https:\/\/ URL/],
    ['VAULT_KV_MOUNT', 'a/../b', /must not contain \.\./],
    ['VAULT_KV_PREFIX', 'has space', /expected path segments/],
    ['AGENT_GATEWAY_METRICS_AUTH', 'yes', /expected true or false/],
    ['MCP_ENABLED', 'off', /expected true or false/],
    ['AGENT_GATEWAY_REFRESH_GRACE', '301', /at most 300 seconds/],
    ['AGENT_GATEWAY_LOGIN_CONCURRENCY', '0', /at least 1 password hashes/],
    ['AGENT_GATEWAY_LOGIN_QUEUE', '-1', /expected a whole number of logins/],
    ['REDIS_KEY_PREFIX', 'has space', /must not contain spaces/],
  ])('%s=%j fails with a message naming the variable and the value', (name, value, message) => {
    const error = configError({ ...REQUIRED, [name]: value });
    expect(error.message).toContain(`${name}: `);
    expect(error.message).toMatch(message);
    expect(error.message).toContain(JSON.stringify(value));
    expect(error.issues?.map((issue) => issue.path)).toEqual([name]);
  });

  it('REDIS_URL (a secret: it may carry a password) and REDIS_KEY_PREFIX; unset, no Redis', () => {
    expect(configFromEnv(REQUIRED).redis).toEqual({ url: undefined, keyPrefix: 'agent-gateway:' });
    const config = configFromEnv({ ...REQUIRED, REDIS_URL: 'redis://:p4ss@redis.internal:6379/2', REDIS_KEY_PREFIX: 'team-a:' });
    expect(config.redis.url?.reveal()).toBe('redis://:p4ss@redis.internal:6379/2');
    expect(config.redis.keyPrefix).toBe('team-a:');
    expect(JSON.stringify(config)).not.toContain('p4ss');
    expect(configFromEnv({ ...REQUIRED, REDIS_URL: 'rediss://redis.internal' }).redis.url?.reveal()).toBe('rediss://redis.internal');
    const error = configError({ ...REQUIRED, REDIS_URL: 'http://:p4ss@redis.internal' });
    expect(error.message).toMatch(/REDIS_URL: expected a redis:\/\/ or rediss:\/\/ URL/);
    expect(error.message).not.toContain('p4ss');
  });

  it('reports every bad variable at once', () => {
    const error = configError({ SANDBOX_POOL_SIZE: 'x', VAULT_ADDR: 'nope' });
    expect(error.issues?.map((issue) => issue.path).sort()).toEqual(['AGENT_GATEWAY_ADMIN_PASS', 'SANDBOX_POOL_SIZE', 'VAULT_ADDR']);
  });

  it('never prints a secret: not in errors, not when the config is logged', () => {
    const config = configFromEnv({ AGENT_GATEWAY_ADMIN_PASS: 'hunter2', VAULT_TOKEN: 'hvs.s3cret' });
    expect(JSON.stringify(config)).not.toMatch(/hunter2|s3cret/);
    expect(inspect(config, { depth: 5 })).not.toMatch(/hunter2|s3cret/);
    expect(`${config.admin.password}`).toBe('[REDACTED]');
  });

  it('documents every variable it reads, and reads every variable it documents', () => {
    const documented = ENV_VARIABLES.map((v) => v.name);
    expect(documented).toEqual(expect.arrayContaining([
      'AGENT_GATEWAY_ADMIN_USER', 'AGENT_GATEWAY_ADMIN_PASS', 'AGENT_GATEWAY_ACCESS_EXPIRE', 'AGENT_GATEWAY_REFRESH_EXPIRE',
      'SANDBOX_WORKER_PATH', 'SANDBOX_POOL_SIZE', 'SANDBOX_WORKER_TIMEOUT', 'SANDBOX_DOCKER_IMAGE',
      'VAULT_ADDR', 'VAULT_TOKEN', 'VAULT_KV_MOUNT', 'VAULT_KV_PREFIX',
    ]));
    expect(new Set(documented).size).toBe(documented.length);
  });
});
