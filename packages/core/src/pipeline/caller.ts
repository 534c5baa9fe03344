import type { Role } from '../auth/roles.js';

/**
 * Who is making a call. HTTP callers are users proven by a bearer token; a host calling
 * `gateway.callTool()` in-process is trusted and may name any caller (default: anonymous).
 */
export interface Caller {
  readonly kind: 'anonymous' | 'user' | 'system';
  /** A user name, a system part's name (`scheduler`), or `anonymous`. */
  readonly id: string;
  /** For a user: the instance (`uid`), so a user deleted and created again under that name is not this caller. */
  readonly userId?: string;
  /**
   * For a user signed in through an external identity provider: its issuer URL. Such a user has no
   * local record; `id` is `<prefix>:<name>` (`oidc:…`), a form no local username can take.
   */
  readonly issuer?: string;
  readonly role?: Role;
  /** The `jti` of the token the call was made with. */
  readonly tokenId?: string;
  /** The user's tool allow-list (globs); absent means every tool. */
  readonly allowedTools?: readonly string[];
}

/** The caller of a request without a token, and of `callTool` without one. */
export const ANONYMOUS_CALLER: Caller = Object.freeze({ kind: 'anonymous', id: 'anonymous' });

/**
 * A caller for trusted host code (a setup script, a job): named in the audit log, never checked against a
 * role.
 */
export function systemCaller(id: string): Caller {
  return Object.freeze({ kind: 'system', id });
}
