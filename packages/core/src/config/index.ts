export { configFromEnv } from './config-from-env.js';
export type { Env, GatewayConfig } from './config-from-env.js';
export { ENV_VARIABLES } from './env-variables.js';
export type { EnvVariableDoc, EnvVariableName } from './env-variables.js';
export type { OidcConfig } from './oidc-env.js';
export { SecretValue } from './secret-value.js';
