import { SecretNotAllowedError, type SecretAccessor, type SecretStore } from './secret-store.js';

/** A tool's accessor, plus the values it handed out during this call (to scrub them from what is logged). */
export interface ScopedSecrets {
  readonly accessor: SecretAccessor;
  /** `text` with every value handed out so far replaced by `[REDACTED]`. */
  scrub(text: string): string;
}

/** The accessor a tool's run gets: only the secrets it declared, only their values. */
export function scopedSecrets(store: SecretStore, tool: string, allowed: readonly string[]): ScopedSecrets {
  const names = new Set(allowed);
  const revealed = new Set<string>();
  return {
    accessor: {
      async get(name) {
        if (!names.has(name)) throw new SecretNotAllowedError(tool, name);
        const value = (await store.get(name)).value.reveal();
        if (value.length >= 4) revealed.add(value);
        return value;
      },
    },
    scrub(text) {
      let out = text;
      for (const value of revealed) out = out.split(value).join('[REDACTED]');
      return out;
    },
  };
}
