import { PolicyDeniedError } from './policy-errors.js';

/**
 * The `policies` field of a call's audit entry: the ids of the policies that decided it (those of a
 * denial from the error itself); nothing when no policy engine was consulted.
 */
export function policiesAudited(decided: readonly string[] | undefined, error?: unknown): { readonly policies?: readonly string[] } {
  if (error instanceof PolicyDeniedError) return { policies: error.policies };
  return decided === undefined ? {} : { policies: decided };
}
