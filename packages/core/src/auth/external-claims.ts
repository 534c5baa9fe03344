import type { JWTPayload } from 'jose';
import { ForbiddenError, InvalidTokenError } from '../errors/index.js';
import type { Role } from './roles.js';
import { toolPatternSchema } from './tool-allow-list.js';

/**
 * How an external provider's claims become a gateway caller: a role, an optional tool allow-list and
 * a name. Pure functions over a verified payload; what is refused is refused here, with a message
 * that names the claim and never quotes the token.
 */

/** Claim values that name our roles when no mapping is configured. */
export const DEFAULT_ROLE_MAP: Readonly<Record<string, Role>> = Object.freeze({ admin: 'admin', approver: 'approver', agent: 'agent' });

const MAX_LIST_ENTRIES = 256;
const MAX_NAME_LENGTH = 256;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * A claim by name; a name with dots that is not itself a claim is also tried as a path
 * (`realm_access.roles`), so both URL-named claims and nested ones work.
 */
export function claimAt(payload: JWTPayload, name: string): unknown {
  if (Object.hasOwn(payload, name)) return payload[name];
  let value: unknown = payload;
  for (const part of name.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** A list claim: an array of strings, or one string of entries split by spaces or commas (`scope`); none when absent. */
function listOf(value: unknown, claim: string): string[] {
  if (value === undefined || value === null) return [];
  const list = typeof value === 'string' ? value.split(/[\s,]+/).filter((entry) => entry !== '') : value;
  if (!Array.isArray(list) || list.length > MAX_LIST_ENTRIES || !list.every((entry): entry is string => typeof entry === 'string')) {
    throw new ForbiddenError(`the token's ${JSON.stringify(claim)} claim must be a string or a list of at most ${MAX_LIST_ENTRIES} strings`);
  }
  return list;
}

/**
 * The role a token's claim maps to. Values without a mapping are ignored. Several mapped roles give
 * `admin` when it is among them (it may do all the others do); `approver` with `agent` is refused,
 * as the roles are kept apart on purpose (the one who approves a call must not be able to make it).
 * No mapped role: `defaultRole`, or 403.
 */
export function roleFromClaims(payload: JWTPayload, claim: string, map: Readonly<Record<string, Role>>, defaultRole: Role | undefined): Role {
  const values = listOf(claimAt(payload, claim), claim);
  const roles = new Set(values.flatMap((value) => (Object.hasOwn(map, value) ? [map[value] as Role] : [])));
  if (roles.has('admin')) return 'admin';
  const [only, ...others] = roles;
  if (only !== undefined && others.length === 0) return only;
  if (only !== undefined) throw new ForbiddenError(`the token's ${JSON.stringify(claim)} claim maps to both the approver and the agent role; give it one`);
  if (defaultRole !== undefined) return defaultRole;
  throw new ForbiddenError(`the token carries no role for this gateway (claim ${JSON.stringify(claim)})`);
}

/**
 * The tool allow-list from the configured claim. A token without the claim gets an empty list (no
 * tool): the claim was configured to restrict callers, so its absence is not read as "every tool".
 */
export function toolsFromClaims(payload: JWTPayload, claim: string): string[] {
  const values = listOf(claimAt(payload, claim), claim);
  for (const value of values) {
    if (!toolPatternSchema.safeParse(value).success) {
      throw new ForbiddenError(`the token's ${JSON.stringify(claim)} claim must list tool names or globs such as file.*`);
    }
  }
  return values;
}

/** The caller's name from the configured claim: a non-empty string without control characters. */
export function nameFromClaims(payload: JWTPayload, claim: string): string {
  const value = claimAt(payload, claim);
  if (typeof value !== 'string' || value === '' || value.length > MAX_NAME_LENGTH || CONTROL.test(value)) {
    throw new InvalidTokenError(`the token's ${JSON.stringify(claim)} claim must be a name of 1..${MAX_NAME_LENGTH} characters`);
  }
  return value;
}
