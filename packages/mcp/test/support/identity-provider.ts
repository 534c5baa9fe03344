import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';

/**
 * An OAuth/OIDC provider on loopback, with a key the test makes: its discovery document and JWKS,
 * and access tokens signed as a real provider signs them.
 */
export class LocalIdentityProvider {
  readonly #server: Server;
  readonly #privateKey: CryptoKey;
  readonly #jwk: Record<string, unknown>;
  #issuer = '';

  private constructor(privateKey: CryptoKey, jwk: Record<string, unknown>) {
    this.#privateKey = privateKey;
    this.#jwk = jwk;
    this.#server = createServer((request, response) => {
      const body = request.url === '/jwks' ? { keys: [this.#jwk] } : request.url === '/.well-known/openid-configuration' ? { issuer: this.#issuer, jwks_uri: `${this.#issuer}/jwks` } : undefined;
      response.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body ?? {}));
    });
  }

  static async start(): Promise<LocalIdentityProvider> {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const provider = new LocalIdentityProvider(privateKey, { ...(await exportJWK(publicKey)), kid: 'key-1', alg: 'ES256', use: 'sig' });
    await new Promise<void>((resolve) => provider.#server.listen(0, '127.0.0.1', resolve));
    provider.#issuer = `http://127.0.0.1:${(provider.#server.address() as AddressInfo).port}`;
    return provider;
  }

  get issuer(): string {
    return this.#issuer;
  }

  /** An access token for `audience`, with the provider's claims and `claims` on top. */
  token(audience: string, claims: JWTPayload = {}): Promise<string> {
    const iat = Math.floor(Date.now() / 1000);
    const payload = { iss: this.#issuer, aud: audience, sub: 'ada', jti: `jti-${Math.random()}`, iat, exp: iat + 3600, agent_gateway_role: 'agent', ...claims };
    return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: 'key-1', typ: 'at+jwt' }).sign(this.#privateKey);
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
