/**
 * `@agent-gateway/vault`: provider keys from HashiCorp Vault KV v2 for the gateway's tools
 * (`VaultSecretStore`, or `vaultSecretStoreFromConfig(config)` from the `VAULT_*` variables).
 *
 * @module @agent-gateway/vault
 */
export { VaultSecretStore, vaultSecretStoreFromConfig } from './vault-secret-store.js';
export type { VaultSecretStoreOptions } from './vault-secret-store.js';
