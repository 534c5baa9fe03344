import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerDemoTools } from '../../../../examples/demo-tools/src/index.js';
import { AuditLog, Gateway, silentLogger, systemCaller, type GatewayOptions } from '@agent-gateway/core';
import type { BrowserContext, Page } from 'playwright-core';
import { buildApp, createAppServer } from '../../../../examples/express-server/src/app.js';
import { consolePlugin } from '../../src/index.js';

/** The users every browser test signs in as. */
export const USERS = {
  admin: { username: 'admin', password: 'admin-password' },
  alice: { username: 'alice', password: 'alice-password' },
  bob: { username: 'bob', password: 'bob-password' },
  bot: { username: 'bot', password: 'bot-password' },
} as const;

/** The example Express server, in this process on a loopback port, serving the console. */
export interface ConsoleApp {
  readonly baseUrl: string;
  readonly gateway: Gateway;
  readonly audit: AuditLog;
  readonly scratch: string;
  /** Drops every open connection (the consoles' streams included), as a proxy restart would. */
  dropConnections(): void;
  /** A JSON request as an agent or a script would send it, with the user's token. */
  call(path: string, body: unknown, token?: string): Promise<{ status: number; body: Record<string, unknown> }>;
  login(user: keyof typeof USERS): Promise<string>;
  close(): Promise<void>;
}

export async function startConsoleApp(options: Pick<GatewayOptions, 'approvals' | 'policy'> = {}): Promise<ConsoleApp> {
  const workDir = await mkdtemp(join(tmpdir(), 'console-browser-'));
  const scratch = join(workDir, 'scratch');
  const audit = await AuditLog.open(join(workDir, 'audit.log'));
  const gateway = new Gateway({ logger: silentLogger, audit, auth: { passwordHashing: { logN: 10, r: 8, p: 1 } }, plugins: [consolePlugin()], ...options });
  registerDemoTools(gateway, { scratchDir: scratch });
  const actor = { actor: systemCaller('test') };
  await gateway.auth.createUser({ ...USERS.admin, role: 'admin' }, actor);
  await gateway.auth.createUser({ ...USERS.alice, role: 'approver' }, actor);
  await gateway.auth.createUser({ ...USERS.bob, role: 'approver' }, actor);
  await gateway.auth.createUser({ ...USERS.bot, role: 'agent' }, actor);
  const server = createAppServer(buildApp(gateway));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const call: ConsoleApp['call'] = async (path, body, token) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      // A fresh connection each time: a test that drops the server's connections must not break the next call.
      headers: { connection: 'close', 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  return {
    baseUrl,
    gateway,
    audit,
    scratch,
    dropConnections: () => server.closeAllConnections(),
    call,
    async login(user) {
      const { status, body } = await call('/admin/login', USERS[user]);
      if (status !== 200) throw new Error(`login of ${user} answered ${status}`);
      return body.token as string;
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await gateway.close();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}

/** Every URL a browser context asks for, to check that none leaves the gateway's origin. */
export function recordRequests(context: BrowserContext): string[] {
  const urls: string[] = [];
  context.on('request', (request) => urls.push(request.url()));
  return urls;
}

/** Opens the console and signs in through its form, as a person would. */
export async function signIn(page: Page, app: ConsoleApp, user: keyof typeof USERS): Promise<void> {
  await page.goto(`${app.baseUrl}/console/`);
  await page.getByLabel('Username').fill(USERS[user].username);
  await page.getByLabel('Password').fill(USERS[user].password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}
