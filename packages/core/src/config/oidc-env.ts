import { z } from 'zod';
import { isHttpsOrLoopback } from '../auth/oidc-discovery.js';
import { ROLES, type Role } from '../auth/roles.js';

/**
 * The AGENT_GATEWAY_OIDC_* variables: an external identity provider whose access tokens the gateway
 * accepts beside its own. Kept apart from env-variables.ts (which spreads these in) so that the
 * provider's settings, their checks and their documentation sit together.
 */

/** The settings of the external identity provider, as `TokenService`'s `externalIssuers` takes them. */
export interface OidcConfig {
  readonly issuer: string;
  readonly audience: string;
  /** Undefined: discovered from the issuer's `/.well-known/openid-configuration`. */
  readonly jwksUri?: string;
  readonly roleClaim: string;
  /** Undefined: the claim values `admin`, `approver` and `agent` give those roles. */
  readonly roles?: Readonly<Record<string, Role>>;
  readonly toolsClaim?: string;
  readonly usernameClaim: string;
}

/** Unset and empty mean the same (as for every variable; env-variables.ts imports this file, so not from there). */
function optionalText(): z.ZodType<string | undefined> {
  return z
    .string()
    .optional()
    .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));
}

const secureUrl = z
  .string()
  .refine((value) => URL.canParse(value) && isHttpsOrLoopback(new URL(value)), 'expected an https:// URL (http:// only on localhost, 127.0.0.1 or [::1])');

/** A claim name: printable ASCII without spaces, so URL-named claims (`https://example.com/role`) fit. */
const claimName = z.string().regex(/^[\x21-\x7e]{1,256}$/, 'expected a claim name (no spaces), e.g. roles or realm_access.roles');

/** `value=role` pairs separated by commas: `gateway-admins=admin,gateway-agents=agent`. */
const roleMap = z.string().transform((value, context) => {
  // No prototype: a claim value such as `__proto__` or `constructor` is a key like any other.
  const map: Record<string, Role> = Object.create(null) as Record<string, Role>;
  for (const pair of value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '')) {
    const [claimValue = '', role = '', ...rest] = pair.split('=').map((part) => part.trim());
    if (claimValue === '' || rest.length > 0 || !(ROLES as readonly string[]).includes(role)) {
      context.addIssue({ code: 'custom', message: `expected value=role pairs separated by commas, each role one of ${ROLES.join(', ')}` });
      return z.NEVER;
    }
    map[claimValue] = role as Role;
  }
  if (Object.keys(map).length === 0) context.addIssue({ code: 'custom', message: 'expected at least one value=role pair' });
  return map;
});

export const OIDC_ENV_FIELDS = {
  AGENT_GATEWAY_OIDC_ISSUER: optionalText().pipe(secureUrl.optional()),
  AGENT_GATEWAY_OIDC_AUDIENCE: optionalText().pipe(
    z.string().refine((value) => URL.canParse(value), "expected this gateway's resource URL, e.g. https://gateway.example.com/mcp").optional(),
  ),
  AGENT_GATEWAY_OIDC_JWKS_URI: optionalText().pipe(secureUrl.optional()),
  AGENT_GATEWAY_OIDC_ROLE_CLAIM: optionalText().pipe(claimName.optional()),
  AGENT_GATEWAY_OIDC_ROLES: optionalText().pipe(roleMap.optional()),
  AGENT_GATEWAY_OIDC_TOOLS_CLAIM: optionalText().pipe(claimName.optional()),
  AGENT_GATEWAY_OIDC_USERNAME_CLAIM: optionalText().pipe(claimName.optional()),
};

type OidcEnvName = keyof typeof OIDC_ENV_FIELDS;
type OidcEnv = { readonly [K in OidcEnvName]?: z.output<(typeof OIDC_ENV_FIELDS)[K]> };

export const OIDC_ENV_DOCS: readonly { readonly name: OidcEnvName; readonly default: string; readonly description: string; readonly secret: false }[] = [
  { name: 'AGENT_GATEWAY_OIDC_ISSUER', default: '—', description: "An OAuth/OIDC identity provider whose access tokens are accepted beside the gateway's own: its issuer URL exactly as tokens carry it in `iss` (https; http only on loopback)", secret: false },
  { name: 'AGENT_GATEWAY_OIDC_AUDIENCE', default: '—', description: "This gateway's resource URL, which the provider's tokens must carry in `aud`; required with the issuer", secret: false },
  { name: 'AGENT_GATEWAY_OIDC_JWKS_URI', default: '(discovered)', description: "The provider's key set URL; unset: the `jwks_uri` of `<issuer>/.well-known/openid-configuration`", secret: false },
  { name: 'AGENT_GATEWAY_OIDC_ROLE_CLAIM', default: '`agent_gateway_role`', description: 'The claim that names the caller\'s role (a string, a list, or space-separated; dots reach into nested claims); a token that maps to no role is refused with 403', secret: false },
  { name: 'AGENT_GATEWAY_OIDC_ROLES', default: '(identity)', description: 'How role-claim values map to roles, as `value=role` pairs separated by commas (`idp-admins=admin,bots=agent`); unset: the values `admin`, `approver`, `agent`', secret: false },
  { name: 'AGENT_GATEWAY_OIDC_TOOLS_CLAIM', default: '—', description: "A claim listing the tool names and globs the caller may call; when set, a token without it may call no tool", secret: false },
  { name: 'AGENT_GATEWAY_OIDC_USERNAME_CLAIM', default: '`sub`', description: 'The claim that names the caller; callers appear as `oidc:<value>`, apart from local users', secret: false },
];

/** What the variables cannot be together: the issuer needs an audience, and the rest need the issuer. */
export function oidcEnvProblems(env: OidcEnv): { variable: OidcEnvName; message: string }[] {
  if (env.AGENT_GATEWAY_OIDC_ISSUER !== undefined) {
    return env.AGENT_GATEWAY_OIDC_AUDIENCE === undefined ? [{ variable: 'AGENT_GATEWAY_OIDC_AUDIENCE', message: 'is required when AGENT_GATEWAY_OIDC_ISSUER is set' }] : [];
  }
  return OIDC_ENV_DOCS.filter(({ name }) => env[name] !== undefined).map(({ name }) => ({ variable: name, message: 'is set, but AGENT_GATEWAY_OIDC_ISSUER is not' }));
}

/** The provider's settings, or undefined when none is configured. */
export function oidcConfigOf(env: OidcEnv): OidcConfig | undefined {
  const issuer = env.AGENT_GATEWAY_OIDC_ISSUER;
  const audience = env.AGENT_GATEWAY_OIDC_AUDIENCE;
  if (issuer === undefined || audience === undefined) return undefined;
  const { AGENT_GATEWAY_OIDC_JWKS_URI: jwksUri, AGENT_GATEWAY_OIDC_ROLES: roles, AGENT_GATEWAY_OIDC_TOOLS_CLAIM: toolsClaim } = env;
  return {
    issuer,
    audience,
    ...(jwksUri === undefined ? {} : { jwksUri }),
    roleClaim: env.AGENT_GATEWAY_OIDC_ROLE_CLAIM ?? 'agent_gateway_role',
    ...(roles === undefined ? {} : { roles }),
    ...(toolsClaim === undefined ? {} : { toolsClaim }),
    usernameClaim: env.AGENT_GATEWAY_OIDC_USERNAME_CLAIM ?? 'sub',
  };
}
