import type { SecretValue } from '../config/secret-value.js';
import type { GatewayErrorCodeWithStatus } from '../errors/error-codes.js';
import { GatewayError } from '../errors/gateway-error.js';

/** A provider's key with what is known about it. The value prints as `[REDACTED]`. */
export interface ProviderSecret {
  readonly value: SecretValue;
  /** Which store served it: `env`, `vault`, or `env (vault unreachable)` after a fallback. */
  readonly source: string;
  readonly version?: number;
  readonly createdAt?: string;
  readonly rotatedAt?: string;
  readonly expiresAt?: string;
}

/** A provider as `GET /admin/providers` lists it: never the value. */
export interface ProviderInfo {
  readonly name: string;
  readonly source: string;
  readonly version?: number;
  readonly createdAt?: string;
  readonly rotatedAt?: string;
  readonly expiresAt?: string;
}

/**
 * Where provider API keys (openai, anthropic, ...) come from. Tools never see the store, only a
 * scoped accessor for the names they declared.
 */
export interface SecretStore {
  /** The provider's key, with where it came from; `404 secret_not_found` when there is none. */
  get(name: string): Promise<ProviderSecret>;
  /** The providers with a key: source, version and expiry, never the values. */
  list(): Promise<ProviderInfo[]>;
  /** Writes a new value; with `expectedVersion`, only if the current version is that one (check-and-set). */
  set?(name: string, value: string, options?: { expectedVersion?: number; expiresAt?: string }): Promise<ProviderInfo>;
  /** For `/health`: e.g. `{ vault: 'ok' | 'unreachable' }`. */
  health?(): Promise<Readonly<Record<string, string>>>;
  /** Stops timers and connections; the gateway calls it on `close()`. */
  close?(): Promise<void>;
}

/** What a tool's `run` gets: only the names the tool declared in `secrets`. */
export interface SecretAccessor {
  /** The secret's value (use it, never log it). */
  get(name: string): Promise<string>;
}

/** 404: no such secret. */
export class SecretNotFoundError extends GatewayError {
  override readonly name = 'SecretNotFoundError';
  constructor(secret: string) {
    super('secret_not_found', `no secret for provider ${JSON.stringify(secret)}`);
  }
}

/** 503: the store cannot answer (and is set to fail closed). */
export class SecretUnavailableError extends GatewayError {
  override readonly name = 'SecretUnavailableError';
  constructor(message: string, code: GatewayErrorCodeWithStatus<503> = 'secret_unavailable', options: { cause?: unknown } = {}) {
    super(code, message, options);
  }
}

/** 403: a tool asked for a secret it did not declare. */
export class SecretNotAllowedError extends GatewayError {
  override readonly name = 'SecretNotAllowedError';
  constructor(tool: string, secret: string) {
    super('secret_not_allowed', `tool ${JSON.stringify(tool)} did not declare the secret ${JSON.stringify(secret)}`);
  }
}

/** A provider name as stores and env variables know it: `openai`, `anthropic`, `google-ai`. */
export const PROVIDER_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
