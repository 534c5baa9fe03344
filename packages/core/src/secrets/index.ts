export { EnvSecretStore, envVariableFor } from './env-secret-store.js';
export { scopedSecrets } from './scoped-secrets.js';
export type { ScopedSecrets } from './scoped-secrets.js';
export { PROVIDER_NAME, SecretNotAllowedError, SecretNotFoundError, SecretUnavailableError } from './secret-store.js';
export type { ProviderInfo, ProviderSecret, SecretAccessor, SecretStore } from './secret-store.js';
