import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, configFromEnv, createGatewayFromConfig, silentLogger } from '../../src/index.js';
import { AUDIENCE, TestIdentityProvider } from './support/test-identity-provider.js';

const REQUIRED = { AGENT_GATEWAY_ADMIN_PASS: 'pw' };
const noPool = { health: async () => ({ healthy: true, alive: 0, size: 0 }) };

function problems(env: Record<string, string>): string[] {
  try {
    configFromEnv({ ...REQUIRED, ...env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues?.map((issue) => `${issue.path}: ${issue.message}`) ?? [];
  }
  throw new Error('expected configFromEnv to throw');
}

describe('AGENT_GATEWAY_OIDC_*', () => {
  it('none set: no provider', () => {
    expect(configFromEnv(REQUIRED).oidc).toBeUndefined();
  });

  it('reads the provider with its defaults, and every variable when set', () => {
    expect(configFromEnv({ ...REQUIRED, AGENT_GATEWAY_OIDC_ISSUER: 'https://idp.example.com/', AGENT_GATEWAY_OIDC_AUDIENCE: AUDIENCE }).oidc).toEqual({
      issuer: 'https://idp.example.com/',
      audience: AUDIENCE,
      roleClaim: 'agent_gateway_role',
      usernameClaim: 'sub',
    });
    const config = configFromEnv({
      ...REQUIRED,
      AGENT_GATEWAY_OIDC_ISSUER: 'http://127.0.0.1:9000/realms/ops',
      AGENT_GATEWAY_OIDC_AUDIENCE: AUDIENCE,
      AGENT_GATEWAY_OIDC_JWKS_URI: 'https://keys.example.com/jwks.json',
      AGENT_GATEWAY_OIDC_ROLE_CLAIM: 'realm_access.roles',
      AGENT_GATEWAY_OIDC_ROLES: 'gw-admins=admin, gw-approvers = approver,bots=agent',
      AGENT_GATEWAY_OIDC_TOOLS_CLAIM: 'https://gateway.example.com/tools',
      AGENT_GATEWAY_OIDC_USERNAME_CLAIM: 'preferred_username',
    });
    expect(config.oidc).toEqual({
      issuer: 'http://127.0.0.1:9000/realms/ops',
      audience: AUDIENCE,
      jwksUri: 'https://keys.example.com/jwks.json',
      roleClaim: 'realm_access.roles',
      roles: { 'gw-admins': 'admin', 'gw-approvers': 'approver', bots: 'agent' },
      toolsClaim: 'https://gateway.example.com/tools',
      usernameClaim: 'preferred_username',
    });
  });

  it('fails at start naming each bad variable', () => {
    expect(problems({ AGENT_GATEWAY_OIDC_ISSUER: 'https://idp.example.com' })).toEqual(['AGENT_GATEWAY_OIDC_AUDIENCE: is required when AGENT_GATEWAY_OIDC_ISSUER is set']);
    expect(problems({ AGENT_GATEWAY_OIDC_ISSUER: 'http://idp.example.com', AGENT_GATEWAY_OIDC_AUDIENCE: AUDIENCE })[0]).toMatch(/^AGENT_GATEWAY_OIDC_ISSUER: expected an https:\/\/ URL/);
    expect(problems({ AGENT_GATEWAY_OIDC_ISSUER: 'not a url', AGENT_GATEWAY_OIDC_AUDIENCE: AUDIENCE })[0]).toMatch(/^AGENT_GATEWAY_OIDC_ISSUER:/);
    const base = { AGENT_GATEWAY_OIDC_ISSUER: 'https://idp.example.com', AGENT_GATEWAY_OIDC_AUDIENCE: AUDIENCE };
    expect(problems({ ...base, AGENT_GATEWAY_OIDC_JWKS_URI: 'http://keys.example.com/jwks' })[0]).toMatch(/^AGENT_GATEWAY_OIDC_JWKS_URI:/);
    expect(problems({ ...base, AGENT_GATEWAY_OIDC_AUDIENCE: 'just words' })[0]).toMatch(/^AGENT_GATEWAY_OIDC_AUDIENCE:/);
    expect(problems({ ...base, AGENT_GATEWAY_OIDC_ROLES: 'gw-admins=root' })[0]).toMatch(/^AGENT_GATEWAY_OIDC_ROLES: expected value=role pairs/);
    expect(problems({ ...base, AGENT_GATEWAY_OIDC_ROLES: ',' })[0]).toMatch(/^AGENT_GATEWAY_OIDC_ROLES: expected at least one/);
    expect(problems({ ...base, AGENT_GATEWAY_OIDC_ROLE_CLAIM: 'two words' })[0]).toMatch(/^AGENT_GATEWAY_OIDC_ROLE_CLAIM:/);
    // Half a configuration is a mistake, not "off".
    expect(problems({ AGENT_GATEWAY_OIDC_AUDIENCE: AUDIENCE, AGENT_GATEWAY_OIDC_TOOLS_CLAIM: 'tools' })).toEqual([
      `AGENT_GATEWAY_OIDC_AUDIENCE: is set, but AGENT_GATEWAY_OIDC_ISSUER is not (got "${AUDIENCE}")`,
      'AGENT_GATEWAY_OIDC_TOOLS_CLAIM: is set, but AGENT_GATEWAY_OIDC_ISSUER is not (got "tools")',
    ]);
  });

  it('a role value such as __proto__ is a plain key of the map', () => {
    const base = { ...REQUIRED, AGENT_GATEWAY_OIDC_ISSUER: 'https://idp.example.com', AGENT_GATEWAY_OIDC_AUDIENCE: AUDIENCE };
    const roles = configFromEnv({ ...base, AGENT_GATEWAY_OIDC_ROLES: '__proto__=admin' }).oidc?.roles;
    expect(Object.keys(roles ?? {})).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  describe('createGatewayFromConfig', () => {
    let dir: string | undefined;
    let idp: TestIdentityProvider | undefined;
    afterEach(async () => {
      await idp?.close();
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    });

    it('accepts the configured provider\'s tokens and names it in authorizationServers', async () => {
      idp = await TestIdentityProvider.start();
      dir = await mkdtemp(join(tmpdir(), 'oidc-config-'));
      const config = configFromEnv({
        ...REQUIRED,
        AGENT_GATEWAY_USERS_PATH: join(dir, 'users.json'),
        AGENT_GATEWAY_AUDIT_PATH: join(dir, 'audit.log'),
        AGENT_GATEWAY_STATE_DIR: dir,
        AGENT_GATEWAY_OIDC_ISSUER: idp.issuer,
        AGENT_GATEWAY_OIDC_AUDIENCE: AUDIENCE,
        AGENT_GATEWAY_OIDC_TOOLS_CLAIM: 'tools',
      });
      const gateway = await createGatewayFromConfig(config, { logger: silentLogger, workerPool: noPool });
      try {
        expect(gateway.auth.authorizationServers).toEqual([idp.issuer]);
        await expect(gateway.auth.authenticate(await idp.token({ tools: ['echo'] }))).resolves.toMatchObject({ id: 'oidc:user-1', role: 'agent', allowedTools: ['echo'] });
        // The file revocation store knows when a revoke-all happened, so it ends provider tokens too.
        const before = await idp.token();
        await gateway.auth.revokeAll({ actor: { kind: 'system', id: 'test' } });
        await expect(gateway.auth.authenticate(before)).rejects.toMatchObject({ message: 'token revoked' });
      } finally {
        await gateway.close();
      }
    });
  });
});
