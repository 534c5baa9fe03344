import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Version {
  readonly data: Record<string, unknown>;
  readonly created_time: string;
}

/**
 * A stand-in for Vault on loopback serving the KV v2 and token endpoints the store uses, with Vault's
 * status codes and JSON shapes (API docs: secret/kv/kv-v2, auth/token): `{"errors":[...]}` bodies,
 * 403 for a bad or expired token, 404 `{"errors":[]}` for a missing secret, 400 on a check-and-set
 * mismatch, `?list=true` for listing.
 */
export class FakeVault {
  readonly secrets = new Map<string, Version[]>();
  readonly calls: string[] = [];
  token = 'hvs.test-token';
  tokenExpiresAt = Date.now() + 3_600_000;
  tokenTtlSeconds = 3600;
  renewals = 0;
  mode: 'ok' | 'error500' | 'hang' = 'ok';
  readonly #server: Server;
  url = '';

  constructor(readonly mount = 'secret', readonly prefix = 'intelli/providers') {
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  put(name: string, data: Record<string, unknown>): number {
    const versions = this.secrets.get(name) ?? [];
    versions.push({ data, created_time: new Date().toISOString() });
    this.secrets.set(name, versions);
    return versions.length;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://vault');
    this.calls.push(`${req.method} ${url.pathname}${url.search}`);
    let raw = '';
    for await (const chunk of req) raw += (chunk as Buffer).toString();
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (this.mode === 'hang') return;
    if (this.mode === 'error500') return send(500, { errors: ['internal error'] });
    if (req.headers['x-vault-token'] !== this.token || Date.now() > this.tokenExpiresAt) return send(403, { errors: ['permission denied'] });

    if (url.pathname === '/v1/auth/token/lookup-self') {
      return send(200, { data: { ttl: Math.max(0, Math.round((this.tokenExpiresAt - Date.now()) / 1000)), renewable: true, policies: ['providers-read'] } });
    }
    if (url.pathname === '/v1/auth/token/renew-self' && req.method === 'POST') {
      this.renewals += 1;
      this.tokenExpiresAt = Date.now() + this.tokenTtlSeconds * 1000;
      return send(200, { auth: { client_token: this.token, lease_duration: this.tokenTtlSeconds, renewable: true } });
    }
    const dataPrefix = `/v1/${this.mount}/data/${this.prefix}/`;
    const metadataBase = `/v1/${this.mount}/metadata/${this.prefix}`;
    if (url.pathname === metadataBase && url.searchParams.get('list') === 'true') {
      const keys = [...this.secrets.keys()].sort();
      return keys.length === 0 ? send(404, { errors: [] }) : send(200, { data: { keys } });
    }
    if (url.pathname.startsWith(`${metadataBase}/`)) {
      const versions = this.secrets.get(url.pathname.slice(metadataBase.length + 1));
      if (versions === undefined) return send(404, { errors: [] });
      return send(200, {
        data: { created_time: versions[0]?.created_time, updated_time: versions.at(-1)?.created_time, current_version: versions.length, custom_metadata: null },
      });
    }
    if (url.pathname.startsWith(dataPrefix)) {
      const name = url.pathname.slice(dataPrefix.length);
      const versions = this.secrets.get(name);
      if (req.method === 'GET') {
        const latest = versions?.at(-1);
        if (versions === undefined || latest === undefined) return send(404, { errors: [] });
        return send(200, { data: { data: latest.data, metadata: { created_time: latest.created_time, version: versions.length, deletion_time: '', destroyed: false } } });
      }
      if (req.method === 'POST' || req.method === 'PUT') {
        const body = JSON.parse(raw) as { data: Record<string, unknown>; options?: { cas?: number } };
        const current = versions?.length ?? 0;
        if (body.options?.cas !== undefined && body.options.cas !== current) {
          return send(400, { errors: [`check-and-set parameter did not match the current version`] });
        }
        const version = this.put(name, body.data);
        return send(200, { data: { created_time: new Date().toISOString(), version, destroyed: false } });
      }
    }
    return send(404, { errors: [] });
  }
}
