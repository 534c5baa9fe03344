import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, ensureBuilt, launchBrowser, screenshotPath, seriousViolations } from './support/browser.js';
import { recordRequests, signIn, startConsoleApp, type ConsoleApp } from './support/console-app.js';

// Signing in and out, and the views besides approvals (audit log, kill switch, tools, users), in the
// machine's Chromium against the example Express server.
if (browserMissing !== undefined) console.warn(`skipped: the console's browser tests (${browserMissing})`);

describe.skipIf(browserMissing !== undefined)('the approval console in a browser: signing in and the other views', () => {
  let app: ConsoleApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let requested: string[];

  const open = async (view: string, heading: string): Promise<void> => {
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: new RegExp(`^${view}`) }).click();
    await page.getByRole('heading', { name: heading, level: 2 }).waitFor();
  };
  const signOut = async (): Promise<void> => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  };

  beforeAll(async () => {
    ensureBuilt();
    app = await startConsoleApp();
    browser = await launchBrowser();
    context = await browser.newContext();
    requested = recordRequests(context);
    page = await context.newPage();
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await app?.close();
  });

  it('has a sign-in page with no serious accessibility violation, and a wrong password is said so', async () => {
    await page.goto(`${app.baseUrl}/console/`);
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/invalid|password|credentials/i);
  });

  it('refuses an agent: nothing of the approver views is shown, and the session it got is revoked at once', async () => {
    await signIn(page, app, 'bot');
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('This account is an agent');
    expect(await page.getByRole('navigation', { name: 'Sections' }).count()).toBe(0);
    await expect.poll(async () => (await app.audit.tail(50, { event: 'token_revoked' })).filter((entry) => entry.actor.type === 'user' && entry.actor.user === 'bot').length).toBe(1);
  });

  it('turns the kill switch on from the console with a typed reason and a confirmation: the next tool call is refused with 423', async () => {
    await signIn(page, app, 'admin');
    await open('Kill switch', 'Kill switch');
    expect(await page.getByTestId('kill-state').textContent()).toContain('Off');
    expect(await seriousViolations(page)).toEqual([]);
    const turnOn = page.getByRole('button', { name: 'Turn the kill switch on…' });
    expect(await turnOn.isDisabled()).toBe(true);
    await page.getByLabel(/^Reason/).fill('incident 42: agent loops');
    await turnOn.click();
    // Nothing has changed until the confirmation.
    expect(app.gateway.killSwitch.state.enabled).toBe(false);
    await page.getByRole('button', { name: 'Yes, turn the kill switch on' }).click();
    await page.getByTestId('kill-state').filter({ hasText: 'ON: every tool call is refused' }).waitFor();
    await page.screenshot({ path: screenshotPath('kill-switch.png'), fullPage: true });
    const refused = await app.call('/tools/call', { tool: 'echo', args: { text: 'x' } }, await app.login('bot'));
    expect(refused.status).toBe(423);
    expect(refused.body).toMatchObject({ error: { code: 'kill_switch_on' } });
    expect(await page.getByRole('status').filter({ hasText: 'The kill switch is ON' }).count()).toBe(1);
    const [entry] = await app.audit.tail(1, { event: 'kill_switch' });
    expect(entry).toMatchObject({ actor: { user: 'admin' }, details: { enabled: true, reason: 'incident 42: agent loops' } });

    await page.getByLabel(/^Reason/).fill('fixed');
    await page.getByRole('button', { name: 'Turn the kill switch off…' }).click();
    await page.getByRole('button', { name: 'Yes, turn the kill switch off' }).click();
    await page.getByTestId('kill-state').filter({ hasText: 'Off: tool calls are served' }).waitFor();
    expect((await app.call('/tools/call', { tool: 'echo', args: { text: 'x' } }, await app.login('bot'))).status).toBe(200);
  });

  it('lets an admin create a user and delete one, after a confirmation', async () => {
    await open('Users', 'Users');
    await page.getByRole('cell', { name: 'alice', exact: true }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel('Username').fill('carol');
    await page.getByLabel(/^Password/).fill('carol-password');
    await page.getByLabel('Role').selectOption('approver');
    await page.getByRole('button', { name: 'Save user' }).click();
    await page.getByText('Created carol.').waitFor();
    await page.getByRole('cell', { name: 'carol', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Delete carol' }).click();
    await page.getByRole('button', { name: 'Yes, delete carol' }).click();
    await page.getByRole('cell', { name: 'carol', exact: true }).waitFor({ state: 'detached' });
    expect((await app.gateway.auth.listUsers()).map((user) => user.username)).not.toContain('carol');
  });

  it('lists the tools, read-only, with which need approval', async () => {
    await open('Tools', 'Tools');
    const write = page.locator('.tool-list li', { hasText: 'file.write' });
    await write.waitFor();
    expect(await write.textContent()).toContain('needs approval');
    expect(await page.locator('.tool-list li', { hasText: 'echo' }).first().textContent()).not.toContain('needs approval');
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('shows the audit log with filters and the chain verified', async () => {
    await open('Audit log', 'Audit log');
    await page.getByText(/Hash chain verified/).waitFor();
    await page.locator('table.audit tbody tr').first().waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel('Event').selectOption('kill_switch');
    await expect.poll(() => page.locator('table.audit tbody tr').count()).toBe(2);
    await page.getByLabel('Outcome').selectOption('refused');
    await expect.poll(() => page.locator('table.audit tbody tr').count()).toBe(0);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByLabel('Actor').fill('bot');
    await page.getByLabel('Outcome').selectOption('refused');
    // The call the kill switch refused, and nothing else of bot's.
    await expect.poll(() => page.locator('table.audit tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-event')))).toEqual(['tool_call']);
    await page.screenshot({ path: screenshotPath('audit.png'), fullPage: true });
  });

  it('signs out by revoking the session, audited as token_revoked by the user who signed out', async () => {
    const before = (await app.audit.tail(100, { event: 'token_revoked' })).length;
    await signOut();
    await expect.poll(async () => (await app.audit.tail(100, { event: 'token_revoked' })).length).toBe(before + 1);
    const [entry] = await app.audit.tail(1, { event: 'token_revoked' });
    expect(entry).toMatchObject({ actor: { user: 'admin' }, details: { scope: 'session' } });
  });

  it('shows an approver the views read-only: no kill-switch toggle, no user list', async () => {
    await signIn(page, app, 'alice');
    await open('Kill switch', 'Kill switch');
    expect(await page.getByText('Only an admin can turn the kill switch on or off.').count()).toBe(1);
    expect(await page.getByRole('button', { name: /Turn the kill switch/ }).count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);
    await open('Users', 'Users');
    expect(await page.getByText('Only admins can see and change the gateway').count()).toBe(1);
    expect(await page.getByRole('table').count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);
    await signOut();
  });

  it('refreshes its access token when the gateway refuses it, and carries on; a revoked session returns to sign-in', async () => {
    await signIn(page, app, 'alice');
    await page.getByText('Live: new requests appear here').waitFor();
    await expect.poll(async () => (await app.audit.tail(100, { event: 'login' })).filter((entry) => entry.actor.type === 'user' && entry.actor.user === 'alice').length).toBeGreaterThan(0);
    const logins = (await app.audit.tail(100, { event: 'login' })).filter((entry) => entry.actor.type === 'user' && entry.actor.user === 'alice');
    const last = logins.at(-1)?.actor;
    const jti = last?.type === 'user' ? (last.jti ?? '') : '';
    expect(jti).not.toBe('');
    const admin = await app.login('admin');
    // The access token alone: its refresh token still works, so the console refreshes and retries.
    expect((await app.call('/admin/revoke', { jti }, admin)).status).toBe(200);
    await open('Audit log', 'Audit log');
    await page.locator('table.audit tbody tr').first().waitFor();
    expect(await page.getByRole('alert').count()).toBe(0);
    await expect.poll(async () => (await app.audit.tail(100, { event: 'token_refreshed' })).filter((entry) => entry.actor.type === 'user' && entry.actor.user === 'alice').length).toBe(1);
    // Every token at once: the refresh is refused too, and the console signs out, saying why.
    expect((await app.call('/admin/revoke', { all: true }, admin)).status).toBe(200);
    await page.getByRole('button', { name: 'Verify again' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(await page.getByText('your session ended; sign in again').count()).toBe(1);
  });

  it('made no request that left the gateway', () => {
    expect(requested.length).toBeGreaterThan(0);
    expect(requested.filter((url) => !url.startsWith(`${app.baseUrl}/`))).toEqual([]);
  });
});
