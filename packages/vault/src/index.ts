export { VaultSecretStore, vaultSecretStoreFromConfig } from './vault-secret-store.js';
export type { VaultSecretStoreOptions } from './vault-secret-store.js';
