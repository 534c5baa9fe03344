import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PolicyEngine } from '@agent-gateway/core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, ensureBuilt, launchBrowser, screenshotPath, seriousViolations } from './support/browser.js';
import { recordRequests, signIn, startConsoleApp, type ConsoleApp } from './support/console-app.js';

// The approval console in a real browser (the machine's Chromium) against the example Express server:
// held calls appear live, are decided with one click, and every other console follows.
if (browserMissing !== undefined) console.warn(`skipped: the console's browser tests (${browserMissing})`);

/** Live means within a second, with no reload: every wait for a change the stream brings uses it. */
const LIVE = { timeout: 1000 };

describe.skipIf(browserMissing !== undefined)('the approval console in a browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    ensureBuilt();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  describe('approvals', () => {
    let app: ConsoleApp;
    let contextA: BrowserContext;
    let contextB: BrowserContext;
    let alice: Page;
    let bob: Page;
    let agentToken: string;
    const requested: string[] = [];
    const cspErrors: string[] = [];

    const card = (page: Page, id: string) => page.locator(`article[data-approval-id="${id}"]`);
    const historyItem = (page: Page, id: string, state: string) => page.locator(`.history-item[data-approval-id="${id}"][data-state="${state}"]`);

    /** An agent's file.write, held for approval; the request waits up to `wait` seconds for the decision. */
    const holdWrite = (path: string, wait: number) => app.call('/tools/call', { tool: 'file.write', args: { path, content: `written by ${path}` }, wait, origin: 'https://tickets.example.com' }, agentToken);
    /** The id of the card of the held write of `path` (each test writes its own file), once it is shown. */
    const pendingId = async (page: Page, path: string): Promise<string> => {
      const shown = page.locator('article[data-approval-id]', { hasText: path });
      await shown.waitFor(LIVE);
      return (await shown.getAttribute('data-approval-id')) ?? '';
    };

    beforeAll(async () => {
      app = await startConsoleApp();
      agentToken = await app.login('bot');
      contextA = await browser.newContext();
      contextB = await browser.newContext();
      for (const context of [contextA, contextB]) {
        const urls = recordRequests(context);
        context.on('close', () => requested.push(...urls));
        context.on('console', (message) => {
          if (/Content Security Policy/i.test(message.text())) cspErrors.push(message.text());
        });
      }
      alice = await contextA.newPage();
      bob = await contextB.newPage();
      await signIn(alice, app, 'alice');
      await signIn(bob, app, 'bob');
      await alice.getByText('Live: new requests appear here').waitFor();
      await bob.getByText('Live: new requests appear here').waitFor();
    });
    afterAll(async () => {
      await contextA?.close();
      await contextB?.close();
      await app?.close();
    });

    it('serves the page with its CSP header, and the page runs under it with no violation', async () => {
      const page = await contextA.newPage();
      const response = await page.goto(`${app.baseUrl}/console/`);
      expect(response?.headers()['content-security-policy']).toMatch(/default-src 'self'.*frame-ancestors 'none'/);
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      await page.close();
      expect(cspErrors).toEqual([]);
    });

    it('shows a held file.write within a second, live; one click approves it, the agent gets its result, the other console moves it to history', async () => {
      const agent = holdWrite('approved.txt', 30);
      const id = await pendingId(alice, 'approved.txt');
      const shown = card(alice, id);
      await expect.poll(() => shown.textContent(), LIVE).toContain('file.write');
      const text = (await shown.textContent()) ?? '';
      expect(text).toContain('bot');
      expect(text).toContain('https://tickets.example.com');
      expect(text).toMatch(/\d+:\d\d left/);
      expect(text).toContain('approved.txt');
      await card(bob, id).waitFor(LIVE);
      await alice.screenshot({ path: screenshotPath('pending.png'), fullPage: true });

      await shown.getByRole('button', { name: /^Approve/ }).click();
      const answer = await agent;
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ tool: 'file.write' });
      expect(readFileSync(join(app.scratch, 'approved.txt'), 'utf8')).toBe('written by approved.txt');
      await historyItem(bob, id, 'executed').waitFor(LIVE);
      await card(bob, id).waitFor({ state: 'detached', ...LIVE });
      await historyItem(alice, id, 'executed').waitFor(LIVE);
      expect(await historyItem(bob, id, 'executed').textContent()).toContain('decided by alice');
      await bob.screenshot({ path: screenshotPath('history.png'), fullPage: true });
    });

    it('links a decided approval to its audit entries: requested, decided, and the call that ran', async () => {
      const item = alice.locator('.history-item[data-state="executed"]').first();
      const id = (await item.getAttribute('data-approval-id')) ?? '';
      await item.getByRole('link', { name: /Audit entries/ }).click();
      try {
        // The held call (queued), its request, its decision, and its run; the first two are written concurrently.
        const events = () => alice.locator('table.audit tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-event') ?? '').sort());
        await expect.poll(events).toEqual(['approval_decided', 'approval_requested', 'tool_call', 'tool_call']);
        expect(await alice.getByLabel('Approval id').inputValue()).toBe(id);
        await alice.getByText(/Hash chain verified/).waitFor();
      } finally {
        await alice.getByRole('link', { name: /^Approvals/ }).click();
      }
    });

    it('rejects with a reason: the agent gets 403 carrying that reason', async () => {
      const agent = holdWrite('rejected.txt', 30);
      const id = await pendingId(alice, 'rejected.txt');
      await card(alice, id).getByLabel('Reason (optional)').fill('not on a Friday');
      await card(alice, id).getByRole('button', { name: /^Reject/ }).click();
      const answer = await agent;
      expect(answer.status).toBe(403);
      expect(answer.body).toMatchObject({ error: { code: 'approval_rejected', message: expect.stringContaining('not on a Friday') } });
      expect(existsSync(join(app.scratch, 'rejected.txt'))).toBe(false);
      await historyItem(bob, id, 'rejected').waitFor(LIVE);
      expect(await historyItem(bob, id, 'rejected').textContent()).toContain('not on a Friday');
    });

    it('shows why a call the viewer made cannot be decided by them, with its buttons off', async () => {
      const page = await contextA.newPage();
      await signIn(page, app, 'admin');
      await page.getByText('Live: new requests appear here').waitFor();
      const adminToken = await app.login('admin');
      const held = await app.call('/tools/call', { tool: 'file.write', args: { path: 'own.txt', content: 'x' } }, adminToken);
      expect(held.status).toBe(202);
      const own = card(page, held.body.approval_id as string);
      await own.waitFor(LIVE);
      expect(await own.textContent()).toContain('You made this call, so you cannot decide it');
      expect(await own.getByRole('button', { name: /^Approve/ }).isDisabled()).toBe(true);
      expect(await own.getByRole('button', { name: /^Reject/ }).isDisabled()).toBe(true);
      // Another person can: alice rejects it, and the admin's console follows.
      await card(alice, held.body.approval_id as string).getByRole('button', { name: /^Reject/ }).click();
      await historyItem(page, held.body.approval_id as string, 'rejected').waitFor(LIVE);
      await page.close();
    });

    it('marks redacted arguments as redacted, and folds the arguments tree', async () => {
      const held = await app.call('/tools/call', { tool: 'file.write', args: { path: 'secret.txt', content: 'api_key=sk-live-abcdefghijklmnopqrstuvwxyz0123456789' } }, agentToken);
      const id = held.body.approval_id as string;
      const shown = card(alice, id);
      await shown.waitFor(LIVE);
      const args = shown.locator('details.json-view');
      expect(await args.textContent()).not.toContain('sk-live-abcdefghijklmnopqrstuvwxyz0123456789');
      expect(await args.locator('.json-redacted').count()).toBe(1);
      expect(await args.locator('summary').first().textContent()).toBe('Arguments (1 redacted)');
      await args.locator('summary').first().click();
      expect(await args.getAttribute('open')).toBeNull();
      await shown.getByRole('button', { name: /^Reject/ }).click();
      await historyItem(alice, id, 'rejected').waitFor(LIVE);
    });

    it('reconnects after the stream drops, with Last-Event-ID, and shows what happened meanwhile', async () => {
      app.dropConnections();
      const held = await app.call('/tools/call', { tool: 'file.write', args: { path: 'after-drop.txt', content: 'x' } }, agentToken);
      const id = held.body.approval_id as string;
      await card(alice, id).waitFor({ timeout: 5000 });
      await card(bob, id).waitFor({ timeout: 5000 });
      await card(bob, id).getByRole('button', { name: /^Reject/ }).click();
      await historyItem(alice, id, 'rejected').waitFor(LIVE);
    });

    it('has no serious or critical accessibility violation on the pending and history views', async () => {
      const held = await app.call('/tools/call', { tool: 'file.write', args: { path: 'axe.txt', content: 'x' } }, agentToken);
      await card(alice, held.body.approval_id as string).waitFor(LIVE);
      expect(await seriousViolations(alice)).toEqual([]);
      await card(alice, held.body.approval_id as string).getByRole('button', { name: /^Reject/ }).click();
    });

    it('is keyboard operable: Tab reaches the reason field and the buttons, Enter approves', async () => {
      const agent = holdWrite('keyboard.txt', 30);
      const id = await pendingId(bob, 'keyboard.txt');
      await card(bob, id).getByLabel('Reason (optional)').focus();
      await bob.keyboard.type('checked by keyboard');
      await bob.keyboard.press('Tab');
      expect(await bob.evaluate('document.activeElement.textContent')).toMatch(/^Approve/);
      await bob.keyboard.press('Enter');
      expect((await agent).status).toBe(200);
      await historyItem(alice, id, 'executed').waitFor(LIVE);
    });

    it('made no request that left the gateway: every URL the consoles asked for is on its loopback origin', async () => {
      await contextA.close();
      await contextB.close();
      expect(requested.length).toBeGreaterThan(0);
      expect(requested.filter((url) => !url.startsWith(`${app.baseUrl}/`))).toEqual([]);
      expect(cspErrors).toEqual([]);
    });
  });

  describe('a quorum', () => {
    let app: ConsoleApp;
    /** A policy engine of the test's own: every file.write needs two approvers. */
    const twoApprovers: PolicyEngine = {
      name: 'two-approvers',
      current: undefined,
      start: async () => ({ policies: 1, digest: 'test', loadedAt: new Date().toISOString() }),
      reload: async () => ({ policies: 1, digest: 'test', loadedAt: new Date().toISOString() }),
      decide: (request) => (request.tool.name === 'file.write' ? { effect: 'approve', approvers: 2, policies: ['two-approvers'] } : { effect: 'allow', policies: [] }),
    };

    beforeAll(async () => {
      app = await startConsoleApp({ policy: twoApprovers });
    });
    afterAll(async () => {
      await app?.close();
    });

    it("shows a quorum's progress live; who approved cannot approve again; the second approval runs the call", async () => {
      const context = await browser.newContext();
      try {
        const [alice, bob] = [await context.newPage(), await context.newPage()];
        await signIn(alice, app, 'alice');
        await signIn(bob, app, 'bob');
        await alice.getByText('Live: new requests appear here').waitFor();
        await bob.getByText('Live: new requests appear here').waitFor();
        const agent = app.call('/tools/call', { tool: 'file.write', args: { path: 'two.txt', content: 'two people' }, wait: 30 }, await app.login('bot'));
        const shown = alice.locator('article[data-approval-id]', { hasText: 'two.txt' });
        await shown.waitFor(LIVE);
        const id = (await shown.getAttribute('data-approval-id')) ?? '';
        expect(await shown.locator('.quorum').textContent()).toContain('Needs 2 approvals: 0 so far');
        await shown.getByRole('button', { name: /^Approve/ }).click();
        await expect.poll(() => shown.locator('.quorum').textContent(), LIVE).toContain('1 so far (alice). You approved it');
        expect(await shown.getByRole('button', { name: /^Approve/ }).isDisabled()).toBe(true);
        const atBob = bob.locator(`article[data-approval-id="${id}"]`);
        await expect.poll(() => atBob.locator('.quorum').textContent(), LIVE).toContain('1 so far (alice)');
        await atBob.getByRole('button', { name: /^Approve/ }).click();
        expect((await agent).status).toBe(200);
        await alice.locator(`.history-item[data-approval-id="${id}"][data-state="executed"]`).waitFor(LIVE);
      } finally {
        await context.close();
      }
    });
  });

  describe('expiry', () => {
    let app: ConsoleApp;

    beforeAll(async () => {
      app = await startConsoleApp({ approvals: { timeoutMs: 1500 } });
    });
    afterAll(async () => {
      await app?.close();
    });

    it('shows an approval nobody decided in time as expired, and it cannot be approved', async () => {
      const page = await browser.newPage();
      await signIn(page, app, 'alice');
      await page.getByText('Live: new requests appear here').waitFor();
      const held = await app.call('/tools/call', { tool: 'file.write', args: { path: 'late.txt', content: 'x' } }, await app.login('bot'));
      const id = held.body.approval_id as string;
      await page.locator(`article[data-approval-id="${id}"]`).waitFor(LIVE);
      const expired = page.locator(`.history-item[data-approval-id="${id}"][data-state="expired"]`);
      await expired.waitFor({ timeout: 3000 });
      expect(await expired.textContent()).toContain('expired');
      expect(await page.locator(`article[data-approval-id="${id}"]`).count()).toBe(0);
      const late = await app.call(`/approvals/${id}/approve`, {}, await app.login('bob'));
      expect(late.status).toBe(409);
      expect(existsSync(join(app.scratch, 'late.txt'))).toBe(false);
      await page.context().close();
    });
  });
});
