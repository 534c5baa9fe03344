import { SecretValue } from '../config/secret-value.js';
import { PROVIDER_NAME, SecretNotFoundError, type ProviderInfo, type ProviderSecret, type SecretStore } from './secret-store.js';

/** `openai` -> `OPENAI_API_KEY`; `google-ai` -> `GOOGLE_AI_API_KEY`. */
export function envVariableFor(name: string): string {
  return `${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_API_KEY`;
}

/** The default store: provider keys from `<NAME>_API_KEY` variables. */
export class EnvSecretStore implements SecretStore {
  readonly #env: Readonly<Record<string, string | undefined>>;

  constructor(env: Readonly<Record<string, string | undefined>> = process.env) {
    this.#env = env;
  }

  async get(name: string): Promise<ProviderSecret> {
    const value = PROVIDER_NAME.test(name) ? this.#env[envVariableFor(name)] : undefined;
    if (value === undefined || value === '') throw new SecretNotFoundError(name);
    return { value: new SecretValue(value), source: 'env' };
  }

  async list(): Promise<ProviderInfo[]> {
    return Object.keys(this.#env)
      .filter((key) => key.endsWith('_API_KEY') && (this.#env[key] ?? '') !== '')
      .map((key) => ({ name: key.slice(0, -'_API_KEY'.length).toLowerCase().replace(/_/g, '-'), source: 'env' }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }
}
