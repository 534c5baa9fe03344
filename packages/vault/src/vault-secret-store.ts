import {
  clampDelay,
  ConflictError,
  EnvSecretStore,
  GatewayError,
  PROVIDER_NAME,
  SecretNotFoundError,
  SecretUnavailableError,
  SecretValue,
  type GatewayConfig,
  type Logger,
  type ProviderInfo,
  type ProviderSecret,
  type SecretStore,
} from '@agent-gateway/core';
import NodeVault from 'node-vault';

/**
 * Options of `new VaultSecretStore(options)`: the Vault address, token and KV v2 location, caching and
 * renewal.
 */
export interface VaultSecretStoreOptions {
  /** VAULT_ADDR. */
  readonly address: string;
  /** VAULT_TOKEN. */
  readonly token: string;
  /** VAULT_KV_MOUNT. Default `secret`. */
  readonly mount?: string;
  /** VAULT_KV_PREFIX. Default `intelli/providers`. */
  readonly prefix?: string;
  /** How long a read value is served from memory. Default 60 s. */
  readonly cacheTtlMs?: number;
  /** Per request to Vault. Default 3 s. */
  readonly timeoutMs?: number;
  /**
   * When Vault cannot be reached (refused, timeout, 5xx): `fallback` (default) serves the key from
   * `<NAME>_API_KEY` and says so in `source`; `fail-closed` refuses (503).
   */
  readonly onUnreachable?: 'fallback' | 'fail-closed';
  /** The store used for fallback. Default: the environment. */
  readonly fallback?: SecretStore;
  /** Renew a renewable token when this share of its TTL has passed. Default 2/3. */
  readonly renewAt?: number;
  readonly logger?: Logger;
  /** The clock, in epoch milliseconds (tests pass a fake one). */
  readonly now?: () => number;
}

/** The field of a KV v2 secret that holds the key; `expires_at` beside it is the key's expiry date. */
const VALUE_FIELD = 'api_key';

interface KvData {
  readonly data?: Record<string, unknown>;
  readonly metadata?: { version?: number; created_time?: string };
}

interface CacheEntry {
  readonly secret: ProviderSecret;
  readonly until: number;
}

/** What went wrong talking to Vault, as a clear, secret-free error. */
function vaultFailure(error: unknown, what: string): GatewayError {
  const status = (error as { response?: { statusCode?: number } }).response?.statusCode;
  const code = (error as { code?: string }).code ?? '';
  if (status === 403) return new GatewayError('vault_forbidden', `Vault refused ${what}: bad token or a policy that does not allow it`);
  if (status !== undefined && status >= 500) return new SecretUnavailableError(`Vault answered ${status} to ${what}`, 'vault_unreachable');
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ECONNRESET') {
    return new SecretUnavailableError(`Vault is unreachable (${code})`, 'vault_unreachable');
  }
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || /timeout/i.test((error as Error).message ?? '')) {
    return new SecretUnavailableError(`Vault did not answer ${what} in time`, 'vault_unreachable');
  }
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) return new SecretUnavailableError(`TLS with Vault failed (${code})`, 'vault_tls_error');
  if (status !== undefined) return new GatewayError('vault_error', `Vault answered ${status} to ${what}`);
  return new SecretUnavailableError(`Vault request for ${what} failed`, 'vault_unreachable');
}

function isUnreachable(error: GatewayError): boolean {
  return error.code === 'vault_unreachable' || error.code === 'vault_tls_error';
}

/**
 * Provider keys from HashiCorp Vault's KV v2 engine, via node-vault: reads
 * `<mount>/data/<prefix>/<provider>` (the key in `api_key`), lists `<mount>/metadata/<prefix>`, writes
 * with check-and-set for rotation, caches reads, renews a renewable token before it expires, and,
 * per key, falls back to the environment (or fails closed) when Vault is unreachable.
 */
export class VaultSecretStore implements SecretStore {
  readonly #client: NodeVault.client;
  readonly #mount: string;
  readonly #prefix: string;
  readonly #cacheTtlMs: number;
  readonly #timeoutMs: number;
  readonly #mode: 'fallback' | 'fail-closed';
  readonly #fallback: SecretStore;
  readonly #logger: Logger | undefined;
  readonly #now: () => number;
  readonly #renewAt: number;
  readonly #cache = new Map<string, CacheEntry>();
  #renewTimer: NodeJS.Timeout | undefined;
  #reachable = true;

  constructor(options: VaultSecretStoreOptions) {
    this.#timeoutMs = options.timeoutMs ?? 3000;
    this.#client = NodeVault({ apiVersion: 'v1', endpoint: options.address, token: options.token, requestOptions: { timeout: this.#timeoutMs } });
    this.#mount = (options.mount ?? 'secret').replace(/^\/+|\/+$/g, '');
    this.#prefix = (options.prefix ?? 'intelli/providers').replace(/^\/+|\/+$/g, '');
    this.#cacheTtlMs = options.cacheTtlMs ?? 60_000;
    this.#mode = options.onUnreachable ?? 'fallback';
    this.#fallback = options.fallback ?? new EnvSecretStore();
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#renewAt = options.renewAt ?? 2 / 3;
  }

  /** Looks the token up and, if it is renewable, schedules its renewal. Call once at start. */
  async start(): Promise<void> {
    await this.#scheduleRenewal();
  }

  async get(name: string): Promise<ProviderSecret> {
    if (!PROVIDER_NAME.test(name)) throw new SecretNotFoundError(name);
    const cached = this.#cache.get(name);
    if (cached !== undefined && cached.until > this.#now()) return cached.secret;
    let body: { data?: KvData };
    try {
      body = (await this.#client.read(`${this.#mount}/data/${this.#prefix}/${name}`)) as { data?: KvData };
      this.#reachable = true;
    } catch (error) {
      const status = (error as { response?: { statusCode?: number } }).response?.statusCode;
      if (status === 404) throw new SecretNotFoundError(name);
      return this.#unreachable(name, vaultFailure(error, `the secret ${name}`));
    }
    const data = body.data?.data ?? {};
    const value = data[VALUE_FIELD];
    if (typeof value !== 'string' || value === '') throw new SecretNotFoundError(name);
    const expiresAt = typeof data.expires_at === 'string' ? data.expires_at : undefined;
    const secret: ProviderSecret = {
      value: new SecretValue(value),
      source: 'vault',
      ...(body.data?.metadata?.version === undefined ? {} : { version: body.data.metadata.version }),
      ...(body.data?.metadata?.created_time === undefined ? {} : { rotatedAt: body.data.metadata.created_time }),
      ...(expiresAt === undefined ? {} : { expiresAt }),
    };
    this.#cache.set(name, { secret, until: this.#now() + this.#cacheTtlMs });
    return secret;
  }

  async list(): Promise<ProviderInfo[]> {
    let keys: string[];
    try {
      // `GET ?list=true` is Vault's documented equivalent of the LIST verb.
      const body = (await this.#client.request({ path: `/${this.#mount}/metadata/${this.#prefix}?list=true`, method: 'GET' })) as { data?: { keys?: string[] } };
      keys = (body.data?.keys ?? []).filter((key) => !key.endsWith('/'));
      this.#reachable = true;
    } catch (error) {
      const status = (error as { response?: { statusCode?: number } }).response?.statusCode;
      if (status === 404) return [];
      const failure = vaultFailure(error, 'the provider list');
      if (!isUnreachable(failure) || this.#mode === 'fail-closed') throw failure;
      this.#reachable = false;
      return (await this.#fallback.list()).map((p) => ({ ...p, source: `${p.source} (vault unreachable)` }));
    }
    return Promise.all(keys.map((name) => this.#info(name)));
  }

  /**
   * Writes a new key. With `expectedVersion`, Vault's check-and-set applies: if someone rotated it
   * meanwhile, this is a 409 and nothing is written.
   */
  async set(name: string, value: string, options: { expectedVersion?: number; expiresAt?: string } = {}): Promise<ProviderInfo> {
    if (!PROVIDER_NAME.test(name)) throw new SecretNotFoundError(name);
    const data: Record<string, string> = { [VALUE_FIELD]: value, ...(options.expiresAt === undefined ? {} : { expires_at: options.expiresAt }) };
    try {
      await this.#client.write(`${this.#mount}/data/${this.#prefix}/${name}`, {
        data,
        ...(options.expectedVersion === undefined ? {} : { options: { cas: options.expectedVersion } }),
      });
    } catch (error) {
      const response = (error as { response?: { statusCode?: number; body?: { errors?: string[] } } }).response;
      if (response?.statusCode === 400 && (response.body?.errors ?? []).some((e) => /check-and-set/.test(e))) {
        throw new ConflictError(`the key of ${name} was rotated by someone else (it is no longer version ${options.expectedVersion ?? '?'})`);
      }
      throw vaultFailure(error, `writing the secret ${name}`);
    }
    this.#cache.delete(name);
    return this.#info(name);
  }

  async health(): Promise<Readonly<Record<string, string>>> {
    try {
      await this.#client.request({ path: '/auth/token/lookup-self', method: 'GET' });
      this.#reachable = true;
    } catch (error) {
      const failure = vaultFailure(error, 'a health check');
      this.#reachable = !isUnreachable(failure);
    }
    return { vault: this.#reachable ? 'ok' : 'unreachable' };
  }

  async close(): Promise<void> {
    clearTimeout(this.#renewTimer);
  }

  async #info(name: string): Promise<ProviderInfo> {
    try {
      const body = (await this.#client.read(`${this.#mount}/metadata/${this.#prefix}/${name}`)) as {
        data?: { created_time?: string; updated_time?: string; current_version?: number };
      };
      const secret = await this.get(name).catch(() => undefined);
      return {
        name,
        source: 'vault',
        ...(body.data?.current_version === undefined ? {} : { version: body.data.current_version }),
        ...(body.data?.created_time === undefined ? {} : { createdAt: body.data.created_time }),
        ...(body.data?.updated_time === undefined ? {} : { rotatedAt: body.data.updated_time }),
        ...(secret?.expiresAt === undefined ? {} : { expiresAt: secret.expiresAt }),
      };
    } catch (error) {
      throw vaultFailure(error, `the metadata of ${name}`);
    }
  }

  async #unreachable(name: string, failure: GatewayError): Promise<ProviderSecret> {
    if (!isUnreachable(failure) || this.#mode === 'fail-closed') throw failure;
    this.#reachable = false;
    this.#logger?.warn('Vault unreachable; serving a provider key from the environment', { provider: name, code: failure.code });
    const fallback = await this.#fallback.get(name);
    return { ...fallback, source: `${fallback.source} (vault unreachable)` };
  }

  async #scheduleRenewal(): Promise<void> {
    let body: { data?: { ttl?: number; renewable?: boolean } };
    try {
      body = (await this.#client.tokenLookupSelf()) as { data?: { ttl?: number; renewable?: boolean } };
    } catch (error) {
      this.#logger?.warn('could not look up the Vault token; it will not be renewed', { code: vaultFailure(error, 'the token lookup').code });
      return;
    }
    const ttl = body.data?.ttl ?? 0;
    if (body.data?.renewable !== true || ttl <= 0) return;
    clearTimeout(this.#renewTimer);
    // Clamped: with a token living past ~37 days the delay would overflow the timer and renew in a loop.
    this.#renewTimer = setTimeout(() => {
      this.#client
        .tokenRenewSelf()
        .then(() => this.#scheduleRenewal())
        .catch((error: unknown) => this.#logger?.error('renewing the Vault token failed', { code: vaultFailure(error, 'the token renewal').code }));
    }, clampDelay(ttl * 1000 * this.#renewAt, 1000));
    this.#renewTimer.unref();
  }
}

/** A started VaultSecretStore from `configFromEnv()`, or `undefined` when VAULT_ADDR is not set. */
export async function vaultSecretStoreFromConfig(
  config: GatewayConfig,
  options: Omit<VaultSecretStoreOptions, 'address' | 'token' | 'mount' | 'prefix'> = {},
): Promise<VaultSecretStore | undefined> {
  const { address, token, kvMount, kvPrefix } = config.vault;
  if (address === undefined) return undefined;
  if (token === undefined) throw new Error('VAULT_ADDR is set but VAULT_TOKEN is not');
  const store = new VaultSecretStore({ address, token: token.reveal(), mount: kvMount, prefix: kvPrefix, ...options });
  await store.start();
  return store;
}
