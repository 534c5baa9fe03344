import { describe, expect, it } from 'vitest';
import { EXTERNAL_ALGORITHMS, ExternalIssuer, type ExternalIssuerOptions } from '../../src/auth/external-issuer.js';

const ISSUER = 'https://idp.example.com/';
const AUDIENCE = 'https://gateway.example.com/mcp';

/** Options as a configuration file would give them: unchecked by the type system. */
type Loose = { [K in keyof ExternalIssuerOptions]?: unknown };

function problemsOf(options: Loose): string | undefined {
  try {
    new ExternalIssuer({ issuer: ISSUER, audience: AUDIENCE, ...options } as ExternalIssuerOptions);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError);
    return (error as Error).message;
  }
}

describe('ExternalIssuer options', () => {
  it('a minimal configuration is accepted, with the prefix oidc', () => {
    expect(problemsOf({})).toBeUndefined();
    const issuer = new ExternalIssuer({ issuer: ISSUER, audience: AUDIENCE });
    expect([issuer.issuer, issuer.prefix]).toEqual([ISSUER, 'oidc']);
  });

  it('the issuer must be https, or http on loopback only', () => {
    for (const issuer of ['https://idp.example.com', 'http://127.0.0.1:9000/realms/ops', 'http://localhost:8080', 'http://[::1]:1234']) {
      expect(problemsOf({ issuer }), issuer).toBeUndefined();
    }
    for (const issuer of ['http://idp.example.com', 'ftp://idp.example.com', 'not a url', '', 'intelli-agent-gateway']) {
      expect(problemsOf({ issuer }), issuer).toBe(`external issuer ${JSON.stringify(issuer)}: issuer must be an https URL (http only on loopback)`);
    }
  });

  it('the audience must be a URL', () => {
    expect(problemsOf({ audience: 'urn:example:gateway' })).toBeUndefined();
    for (const audience of ['', '   ', 'just words']) {
      expect(problemsOf({ audience }), audience).toBe(`external issuer "${ISSUER}": audience must be this gateway's resource URL`);
    }
  });

  it('a jwksUri must be https, or http on loopback only', () => {
    expect(problemsOf({ jwksUri: 'https://keys.example.com/jwks.json' })).toBeUndefined();
    expect(problemsOf({ jwksUri: 'http://127.0.0.1:9000/jwks' })).toBeUndefined();
    for (const jwksUri of ['http://keys.example.com/jwks', 'not a url', '']) {
      expect(problemsOf({ jwksUri }), jwksUri).toBe(`external issuer "${ISSUER}": jwksUri must be an https URL (http only on loopback)`);
    }
  });

  it('a prefix is 1..32 lower-case letters, digits or -, starting with a letter', () => {
    for (const prefix of ['a', 'partner', 'idp-2', 'a0-b1', `a${'b'.repeat(31)}`]) {
      expect(problemsOf({ prefix }), prefix).toBeUndefined();
      expect(new ExternalIssuer({ issuer: ISSUER, audience: AUDIENCE, prefix }).prefix).toBe(prefix);
    }
    for (const prefix of ['', 'Partner', 'pArtner', '2fa', '-x', 'a_b', 'a:b', 'a b', 'xA', 'Xa', 'a!', '!a', `a${'b'.repeat(32)}`, 'a\nb', 'ab\n']) {
      expect(problemsOf({ prefix }), JSON.stringify(prefix)).toBe(`external issuer "${ISSUER}": prefix must be 1..32 lower-case letters, digits or -, starting with a letter`);
    }
  });

  it('algorithms: a non-empty list of the asymmetric ones', () => {
    expect(EXTERNAL_ALGORITHMS).toEqual(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']);
    for (const alg of EXTERNAL_ALGORITHMS) expect(problemsOf({ algorithms: [alg] }), alg).toBeUndefined();
    expect(problemsOf({ algorithms: ['ES256', 'RS256'] })).toBeUndefined();
    const message = `external issuer "${ISSUER}": algorithms must be some of ${EXTERNAL_ALGORITHMS.join(', ')}`;
    expect(message).toContain('RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, Ed25519');
    for (const algorithms of [[], ['HS256'], ['none'], ['ES256', 'HS256'], ['HS256', 'ES256'], ['']]) {
      expect(problemsOf({ algorithms }), JSON.stringify(algorithms)).toBe(message);
    }
  });

  it('roles and the default role map to admin, approver or agent only', () => {
    expect(problemsOf({ roles: { a: 'admin', b: 'approver', c: 'agent' }, defaultRole: 'agent' })).toBeUndefined();
    for (const defaultRole of ['admin', 'approver', 'agent']) expect(problemsOf({ defaultRole }), defaultRole).toBeUndefined();
    const message = `external issuer "${ISSUER}": roles map to admin, approver, agent only`;
    expect(problemsOf({ roles: { a: 'root' } })).toBe(message);
    expect(problemsOf({ roles: { a: 'admin', b: 'root' } })).toBe(message);
    expect(problemsOf({ roles: { a: 'root', b: 'admin' } })).toBe(message);
    expect(problemsOf({ defaultRole: 'root' })).toBe(message);
    expect(problemsOf({ roles: { a: 'agent' }, defaultRole: 'superuser' })).toBe(message);
    expect(problemsOf({ roles: { a: undefined } })).toBeUndefined();
  });

  it('a claim name, when given, is not blank', () => {
    for (const claim of ['roleClaim', 'toolsClaim', 'usernameClaim'] as const) {
      expect(problemsOf({ [claim]: 'realm_access.roles' }), claim).toBeUndefined();
      for (const blank of ['', '  ', '\t']) {
        expect(problemsOf({ [claim]: blank }), `${claim} ${JSON.stringify(blank)}`).toBe(`external issuer "${ISSUER}": ${claim} must not be empty`);
      }
    }
  });

  it('clockToleranceSeconds is 0..300', () => {
    for (const tolerance of [0, 10, 300, 0.5]) expect(problemsOf({ clockToleranceSeconds: tolerance }), String(tolerance)).toBeUndefined();
    for (const tolerance of [-1, -0.5, 301, 300.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(problemsOf({ clockToleranceSeconds: tolerance }), String(tolerance)).toBe(`external issuer "${ISSUER}": clockToleranceSeconds must be 0..300`);
    }
  });

  it('key set timings are checked at start, with discovery too (not at the first token, as a 401 for every token)', () => {
    for (const jwks of [{}, { timeoutMs: 1 }, { timeoutMs: 60_000 }, { cooldownMs: 0, cacheMaxAgeMs: 0 }, { cooldownMs: 1.5, cacheMaxAgeMs: Number.POSITIVE_INFINITY }]) {
      expect(problemsOf({ jwks }), JSON.stringify(jwks)).toBeUndefined();
    }
    for (const timeoutMs of [0, -1, 1.5, 60_001, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(problemsOf({ jwks: { timeoutMs } }), String(timeoutMs)).toBe(`external issuer "${ISSUER}": jwks.timeoutMs must be a whole number of milliseconds, 1..60000`);
    }
    for (const name of ['cooldownMs', 'cacheMaxAgeMs']) {
      for (const value of [-1, -0.5, Number.NaN, Number.NEGATIVE_INFINITY]) {
        expect(problemsOf({ jwks: { [name]: value } }), `${name} ${value}`).toBe(`external issuer "${ISSUER}": jwks.${name} must be 0 or more milliseconds`);
      }
    }
  });

  it('names every problem at once, separated by semicolons', () => {
    expect(problemsOf({ issuer: 'http://idp.example.com', audience: 'words', jwksUri: 'http://x.example', prefix: 'X', algorithms: [], roles: { a: 'root' }, roleClaim: ' ', toolsClaim: '', usernameClaim: '', clockToleranceSeconds: -1 })).toBe(
      'external issuer "http://idp.example.com": issuer must be an https URL (http only on loopback); ' +
        "audience must be this gateway's resource URL; " +
        'jwksUri must be an https URL (http only on loopback); ' +
        'prefix must be 1..32 lower-case letters, digits or -, starting with a letter; ' +
        `algorithms must be some of ${EXTERNAL_ALGORITHMS.join(', ')}; ` +
        'roles map to admin, approver, agent only; ' +
        'roleClaim must not be empty; toolsClaim must not be empty; usernameClaim must not be empty; ' +
        'clockToleranceSeconds must be 0..300',
    );
  });
});
