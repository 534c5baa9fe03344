import type { SecretStore } from '@agent-gateway/core';
import type { CredentialConfig } from './upstream-options.js';

/** What the credentials of one upstream resolve to, at each (re)start: never logged, never audited. */
export interface ResolvedCredentials {
  readonly env: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * The values an upstream was given, to take out of whatever it says back (its stderr, its error
 * messages) before that reaches a log, an error body or `/health/upstreams`. Values are kept from
 * every resolution, so a rotated key is still scrubbed from a late line of the old process.
 */
export class SecretScrubber {
  readonly #values = new Set<string>();

  add(value: string): void {
    // Shorter values would scrub ordinary words; no real key is that short.
    if (value.length >= 4) this.#values.add(value);
  }

  scrub(text: string): string {
    let out = text;
    for (const value of this.#values) if (out.includes(value)) out = out.split(value).join('[REDACTED]');
    return out;
  }
}

/**
 * Reads each credential from the gateway's SecretStore (env, Vault, ...) when the upstream starts,
 * so a rotated secret reaches the next process. A secret that cannot be read stops the start: the
 * upstream is not run without the credential it was configured with.
 */
export async function resolveCredentials(store: SecretStore, credentials: readonly CredentialConfig[], scrubber: SecretScrubber): Promise<ResolvedCredentials> {
  const env: Record<string, string> = {};
  const headers: Record<string, string> = {};
  for (const credential of credentials) {
    const value = (await store.get(credential.secret)).value.reveal();
    scrubber.add(value);
    if ('env' in credential) env[credential.env] = value;
    else headers[credential.header] = `${credential.prefix}${value}`;
  }
  return { env, headers };
}
