import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

export const AUDIENCE = 'https://gateway.test/mcp';

interface ProviderKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

/**
 * An identity provider on loopback for tests: a discovery document and a JWKS of keys the test
 * generates, signing tokens the way a real provider would. Counts the requests it serves, so a test
 * can tell whether the gateway fetched keys.
 */
export class TestIdentityProvider {
  readonly hits = { discovery: 0, jwks: 0 };
  /** Keys served in the JWKS; a key may also be held back to sign tokens the gateway cannot know. */
  readonly #published: ProviderKey[] = [];
  readonly #keys = new Map<string, ProviderKey>();
  readonly #server: Server;
  #issuer = '';
  /** Overrides of the discovery document, to test bad ones. */
  discovery: Record<string, unknown> | undefined;

  private constructor() {
    this.#server = createServer((request, response) => {
      const send = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      if (request.url === '/.well-known/openid-configuration') {
        this.hits.discovery += 1;
        send(200, this.discovery ?? { issuer: this.#issuer, jwks_uri: this.jwksUri });
      } else if (request.url === '/jwks') {
        this.hits.jwks += 1;
        send(200, { keys: this.#published.map((key) => ({ ...key.publicJwk, kid: key.kid, alg: key.alg, use: 'sig' })) });
      } else {
        send(404, {});
      }
    });
  }

  static async start(): Promise<TestIdentityProvider> {
    const provider = new TestIdentityProvider();
    await new Promise<void>((resolve) => provider.#server.listen(0, '127.0.0.1', resolve));
    provider.#issuer = `http://127.0.0.1:${(provider.#server.address() as AddressInfo).port}`;
    await provider.publishKey('key-1');
    return provider;
  }

  get issuer(): string {
    return this.#issuer;
  }

  get jwksUri(): string {
    return `${this.#issuer}/jwks`;
  }

  /** A new key pair; published in the JWKS unless `publish` is false (a key the gateway never sees). */
  async publishKey(kid: string, alg: 'ES256' | 'RS256' | 'EdDSA' = 'ES256', publish = true): Promise<ProviderKey> {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const key = { kid, alg, privateKey, publicJwk: await exportJWK(publicKey) };
    if (publish) this.#published.push(key);
    this.#keys.set(kid, key);
    return key;
  }

  /** The public JWK of a key (what an attacker who read the JWKS has). */
  publicJwk(kid = 'key-1'): JWK {
    const key = this.#keys.get(kid);
    if (key === undefined) throw new Error(`no key ${kid}`);
    return key.publicJwk;
  }

  /**
   * An access token as the provider would issue it: `iss`, `aud`, `sub`, `jti`, `iat`, `exp` (one
   * hour), with `claims` on top (`undefined` removes one).
   */
  async token(claims: JWTPayload = {}, options: { kid?: string; now?: number; withoutKid?: boolean } = {}): Promise<string> {
    const key = this.#keys.get(options.kid ?? 'key-1');
    if (key === undefined) throw new Error('no such key');
    const iat = Math.floor((options.now ?? Date.now()) / 1000);
    const payload: JWTPayload = { iss: this.#issuer, aud: AUDIENCE, sub: 'user-1', jti: `jti-${Math.random()}`, iat, exp: iat + 3600, agent_gateway_role: 'agent', ...claims };
    for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
    return new SignJWT(payload).setProtectedHeader({ alg: key.alg, ...(options.withoutKid === true ? {} : { kid: key.kid }), typ: 'at+jwt' }).sign(key.privateKey);
  }

  /** Stops answering: connections are refused from now on. */
  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
