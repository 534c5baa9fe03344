/**
 * Who is making a call. Until a bearer token is verified (the auth step), HTTP callers are
 * anonymous; a host calling `gateway.callTool()` in-process names its own caller.
 */
export interface Caller {
  readonly kind: 'anonymous' | 'user' | 'system';
  /** A user name, a system part's name (`scheduler`), or `anonymous`. */
  readonly id: string;
  readonly role?: string;
  /** The `jti` of the token the call was made with. */
  readonly tokenId?: string;
}

export const ANONYMOUS_CALLER: Caller = Object.freeze({ kind: 'anonymous', id: 'anonymous' });

export function systemCaller(id: string): Caller {
  return Object.freeze({ kind: 'system', id });
}
