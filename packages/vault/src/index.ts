/**
 * `@agent-gateway/vault` will hold VaultSecretStore (provider keys from HashiCorp Vault KV v2,
 * configured by VAULT_ADDR, VAULT_TOKEN, VAULT_KV_MOUNT and VAULT_KV_PREFIX). It exports nothing yet.
 */
export {};
