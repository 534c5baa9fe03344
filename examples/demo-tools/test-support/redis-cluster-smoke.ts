import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectErrorLines } from './error-log-lines.js';
import { deleteRedisKeys, REDIS_URL, redisReachable } from './redis-probe.js';
import { startExample, type Started } from './runbook-smoke.js';
import { readSse, type SseEvent } from './sse-reader.js';

const reachable = await redisReachable();
if (!reachable.ok) console.warn(`skipped: Redis cluster smoke (${reachable.reason})`);

/** Calls per minute per token for the whole deployment: small enough to exhaust, large enough for the other scenarios. */
const RATE_LIMIT = 8;
/** Approves of one held call sent at once, spread over the three processes (issue 18 says 100). */
const RACED_APPROVES = 100;
/** The kill switch turned on at one process stops calls on the others within this (issue 18: "within 1 s"). */
const KILL_SWITCH_BOUND_MS = 1000;

interface Proc {
  readonly name: string;
  readonly server: Started;
  base: string;
  readonly auditPath: string;
  /** What the process logged at error level: printed at the end, so a 500 comes with its cause. */
  readonly errors: () => string[];
}

/**
 * Three separate OS processes of one example sharing one Redis (issue 18): what one process
 * decides (revocations, approvals, the kill switch, rate limits) holds on the others.
 */
export function describeRedisClusterSmoke(framework: string, exampleDir: string): void {
  // Generous per-test time: three processes and their sandbox workers share the machine with whatever else runs.
  describe.runIf(reachable.ok)(`examples/${framework}-server: three processes sharing one Redis`, { timeout: 40_000 }, () => {
    const prefix = `agsmoke:${randomUUID()}:`;
    let workDir: string;
    let scratch: string;
    let nodes: Proc[] = [];
    let a: Proc;
    let b: Proc;
    let c: Proc;

    beforeAll(async () => {
      if (!existsSync(resolve(exampleDir, '../../packages/redis/dist/index.js'))) {
        throw new Error('the packages are not built: run `npm run build` (npm test does it first)');
      }
      workDir = await mkdtemp(join(tmpdir(), 'redis-cluster-example-'));
      scratch = join(workDir, 'scratch');
      await mkdir(scratch);
      nodes = ['a', 'b', 'c'].map((name) => {
        const auditPath = join(workDir, `audit-${name}.log`);
        const server = startExample(exampleDir, {
          REDIS_URL,
          REDIS_KEY_PREFIX: prefix,
          AGENT_GATEWAY_ADMIN_PASS: 'x',
          AGENT_GATEWAY_JWT_SECRET: 'a-shared-secret-of-at-least-32-bytes!!',
          AGENT_GATEWAY_RATE_LIMIT: String(RATE_LIMIT),
          AGENT_GATEWAY_USERS_PATH: join(workDir, `users-${name}.json`),
          AGENT_GATEWAY_AUDIT_PATH: auditPath,
          AGENT_GATEWAY_STATE_DIR: join(workDir, `state-${name}`),
          // One scratch folder, so a held call's file is found whichever process ran it.
          SCRATCH_DIR: scratch,
          SANDBOX_POOL_SIZE: '1',
          MCP_ENABLED: 'false',
        });
        return { name, server, base: '', auditPath, errors: collectErrorLines(server.child) };
      });
      [a, b, c] = nodes as [Proc, Proc, Proc];
      await Promise.all(nodes.map(async (node) => {
        node.base = await node.server.url;
      }));
    }, 60_000);

    afterAll(async () => {
      for (const node of nodes) {
        const errors = node.errors();
        if (errors.length > 0) console.warn(`process ${node.name} logged errors:\n${errors.join('\n')}`);
      }
      await Promise.all(nodes.map(async (node) => {
        if (node.server.child.exitCode === null && node.server.child.signalCode === null) {
          node.server.child.kill('SIGKILL');
          await node.server.exit;
        }
      }));
      await deleteRedisKeys(prefix);
      if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
    });

    const post = (node: Proc, path: string, body?: unknown, token?: string) =>
      fetch(`${node.base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    /** The refresh token of the latest login, to get more tokens of that user without a password hash. */
    let lastRefreshToken = '';
    const login = async (node: Proc, username = 'admin', password = 'x'): Promise<string> => {
      const response = await post(node, '/admin/login', { username, password });
      expect(response.status).toBe(200);
      const pair = (await response.json()) as { token: string; refresh_token: string };
      lastRefreshToken = pair.refresh_token;
      return pair.token;
    };
    let agentCreated = false;
    /** A fresh token of an agent user created once on A: each scenario gets its own rate-limit budget. */
    const agentToken = async (node: Proc): Promise<string> => {
      if (!agentCreated) {
        const created = await post(a, '/admin/users', { username: 'bot', password: 'bot-password', role: 'agent' }, await login(a));
        expect(created.status).toBe(201);
        agentCreated = true;
      }
      return login(node, 'bot', 'bot-password');
    };
    const echo = (node: Proc, token: string) => post(node, '/tools/call', { tool: 'echo', args: { text: 'hi' } }, token);
    const hold = async (node: Proc, token: string, path: string): Promise<string> => {
      const held = await post(node, '/tools/call', { tool: 'file.write', args: { path, content: `written ${path}` } }, token);
      expect(held.status).toBe(202);
      return ((await held.json()) as { approval_id: string }).approval_id;
    };
    const pending = async (node: Proc, token: string): Promise<Array<{ id: string; tool: string; args?: { path?: string } }>> => {
      const listed = await fetch(`${node.base}/approvals`, { headers: { authorization: `Bearer ${token}` } });
      expect(listed.status).toBe(200);
      return ((await listed.json()) as { approvals: Array<{ id: string; tool: string; args?: { path?: string } }> }).approvals;
    };
    const approve = (node: Proc, id: string, token: string) =>
      fetch(`${node.base}/approvals/${id}/approve`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    /** Retries `check` until it holds or `ms` pass: propagation is asynchronous, so no tight timing is asserted. */
    const eventually = async (check: () => Promise<boolean>, ms = 3000): Promise<boolean> => {
      const deadline = Date.now() + ms;
      for (;;) {
        if (await check()) return true;
        if (Date.now() > deadline) return false;
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    /** `tool_call` entries with outcome ok for this approval, across the three processes' audit logs. */
    const okToolCalls = async (approvalId: string): Promise<number> => {
      let count = 0;
      for (const node of nodes) {
        const text = existsSync(node.auditPath) ? await readFile(node.auditPath, 'utf8') : '';
        for (const line of text.split('\n').filter((l) => l !== '')) {
          const entry = JSON.parse(line) as { event: string; details: { outcome?: string; approval_id?: string } };
          if (entry.event === 'tool_call' && entry.details.outcome === 'ok' && entry.details.approval_id === approvalId) count += 1;
        }
      }
      return count;
    };

    it('refuses a token revoked on A on B and C at the very next request', async () => {
      const token = await login(a);
      expect((await echo(b, token)).status).toBe(200);
      const admin = await login(a);
      expect((await post(a, '/admin/revoke', { token }, admin)).status).toBe(200);
      expect((await echo(b, token)).status).toBe(401);
      expect((await echo(c, token)).status).toBe(401);
    });

    it('holds file.write on A, lists it on B, approves it on C, runs it once and answers the caller waiting on A', async () => {
      const admin = await login(a);
      // Users are shared: the agent created on A logs in on B.
      const agent = await agentToken(b);
      const waiting = post(a, '/tools/call', { tool: 'file.write', args: { path: 'held.txt', content: 'written on approval' }, wait: 25 }, agent);

      let id: string | undefined;
      expect(await eventually(async () => {
        id = (await pending(b, admin)).find((p) => p.tool === 'file.write' && p.args?.path === 'held.txt')?.id;
        return id !== undefined;
      })).toBe(true);
      const approved = await approve(c, id ?? '', admin);
      expect(approved.status).toBe(200);
      expect(await approved.json()).toMatchObject({ state: 'executed', result: { path: 'held.txt' } });

      const answer = await waiting;
      expect(answer.status).toBe(200);
      expect(await answer.json()).toMatchObject({ approval_id: id, result: { path: 'held.txt' } });
      expect(await readFile(join(scratch, 'held.txt'), 'utf8')).toBe('written on approval');
      expect(await okToolCalls(id ?? '')).toBe(1);
    });

    it(`lets exactly one of ${RACED_APPROVES} concurrent approves of one held call, spread over A, B and C, succeed and run it once`, async () => {
      // One token for all: approving is neither rate limited nor a login, so nothing but the race decides.
      const admin = await login(b);
      const id = await hold(a, await agentToken(a), 'raced.txt');
      const answers = await Promise.all(
        Array.from({ length: RACED_APPROVES }, async (_, i) => {
          const response = await approve(nodes[i % 3] as Proc, id, admin);
          return { status: response.status, body: (await response.json()) as { state?: string; error?: { code?: string; details?: { state?: string } } } };
        }),
      );
      const won = answers.filter((answer) => answer.status === 200);
      expect(won).toHaveLength(1);
      expect(won[0]?.body).toMatchObject({ state: 'executed', result: { path: 'raced.txt' } });
      // Every loser is told the approval is no longer pending, with the state that won (approved while running, then executed).
      const lost = answers.filter((answer) => answer.status !== 200);
      expect(lost).toHaveLength(RACED_APPROVES - 1);
      for (const answer of lost) {
        expect(answer.status).toBe(409);
        expect(answer.body.error?.code).toBe('approval_not_pending');
        expect(['approved', 'executed']).toContain(answer.body.error?.details?.state);
      }
      expect(await okToolCalls(id)).toBe(1);
      expect(await readFile(join(scratch, 'raced.txt'), 'utf8')).toBe('written raced.txt');
    });

    it(`stops calls on A and C within ${KILL_SWITCH_BOUND_MS} ms of the kill switch being turned on at B`, async () => {
      const admin = await login(b);
      // Tokens enough for every call the polls below can make before the bound: the per-token rate
      // limit must never answer in the kill switch's place, and a login mid-poll would slow the polls.
      // Refreshes, not logins: each is a new token without a password hash, and the login throttle
      // would count ten logins in flight from one address as guesses.
      const tokens = [await agentToken(a)];
      let refreshToken = lastRefreshToken;
      for (let i = 1; i < 10; i += 1) {
        const refreshed = await post(nodes[i % 3] as Proc, '/admin/refresh', { refresh_token: refreshToken });
        expect(refreshed.status).toBe(200);
        const pair = (await refreshed.json()) as { token: string; refresh_token: string };
        tokens.push(pair.token);
        refreshToken = pair.refresh_token;
      }
      let calls = 0;
      const nextToken = (): string => {
        const token = tokens[Math.floor(calls / RATE_LIMIT)];
        if (token === undefined) throw new Error('the kill-switch poll ran out of tokens');
        calls += 1;
        return token;
      };

      const toggled = await post(b, '/admin/kill-switch', { enabled: true, reason: 'smoke test' }, admin);
      const answeredAt = performance.now();
      try {
        expect(toggled.status).toBe(200);
        /**
         * Calls the node until it refuses with 423; before that only 200 is fine. Returns how long after
         * the toggle's answer the first refused call was sent: a call sent later than the bound that still
         * ran, or no refusal by then, fails.
         */
        const firstRefusal = async (node: Proc): Promise<number> => {
          const seen: string[] = [];
          for (;;) {
            const sentAfter = performance.now() - answeredAt;
            const status = (await echo(node, nextToken())).status;
            seen.push(`${Math.round(sentAfter)} ms: ${status}`);
            if (status === 423) return sentAfter;
            if (status !== 200 || sentAfter > KILL_SWITCH_BOUND_MS) throw new Error(`${node.name} did not refuse within ${KILL_SWITCH_BOUND_MS} ms: ${seen.join(', ')}`);
            await new Promise((r) => setTimeout(r, 25));
          }
        };
        const [onA, onC] = await Promise.all([firstRefusal(a), firstRefusal(c)]);
        expect(onA).toBeLessThanOrEqual(KILL_SWITCH_BOUND_MS);
        expect(onC).toBeLessThanOrEqual(KILL_SWITCH_BOUND_MS);
        // And it stays on: nothing runs once the switch has been seen.
        expect((await echo(a, nextToken())).status).toBe(423);
        expect((await echo(c, nextToken())).status).toBe(423);
      } finally {
        expect((await post(b, '/admin/kill-switch', { enabled: false }, admin)).status).toBe(200);
      }
      const token = await agentToken(c);
      expect(await eventually(async () => (await echo(a, token)).status === 200 && (await echo(c, token)).status === 200)).toBe(true);
    });

    it(`holds a rate limit of ${RATE_LIMIT}/min for the whole deployment, whichever process is hit`, async () => {
      const token = await agentToken(a);
      for (let i = 0; i < RATE_LIMIT; i += 1) expect((await echo(nodes[i % 3] as Proc, token)).status).toBe(200);
      for (const node of nodes) expect((await echo(node, token)).status).toBe(429);
    });

    it('streams the requested and approved changes of a call held on A and approved on C to a client on B, and replays them on C by Last-Event-ID', async () => {
      const admin = await login(b);
      const auth = { authorization: `Bearer ${admin}` };
      const stream = await readSse(`${b.base}/approvals/stream`, auth);
      let id = '';
      const ofThisCall = (events: SseEvent[]) => events.filter((e) => (e.data as { id?: string } | undefined)?.id === id);
      const types = (events: SseEvent[]) => ofThisCall(events).map((e) => e.event);
      try {
        expect(stream.status).toBe(200);
        id = await hold(a, await agentToken(a), 'streamed.txt');
        await stream.until((events) => types(events).includes('approval.requested'));
        expect((await approve(c, id, admin)).status).toBe(200);
        await stream.until((events) => types(events).includes('approval.approved'));
      } finally {
        stream.close();
      }
      const seen = ofThisCall(stream.events);
      expect(seen.map((e) => e.event).slice(0, 2)).toEqual(['approval.requested', 'approval.approved']);
      const first = seen[0]?.id ?? '';
      expect(first).toMatch(/^\d+$/);

      // A client that dropped after the first event resumes on another process and gets what it missed.
      const resumed = await readSse(`${c.base}/approvals/stream`, { ...auth, 'last-event-id': first });
      try {
        expect(resumed.status).toBe(200);
        await resumed.until((events) => types(events).includes('approval.approved'));
      } finally {
        resumed.close();
      }
      const replayed = ofThisCall(resumed.events);
      expect(replayed.map((e) => e.event)).not.toContain('approval.requested');
      expect(replayed.find((e) => e.event === 'approval.approved')?.id).toBe(seen[1]?.id);
    });

    it('returns on C a redaction rule set on A', async () => {
      const origin = 'https://bank.example';
      const fields = ['password', 'card.cvv'];
      expect((await post(a, '/tab/redaction-rules', { origin, fields }, await login(a))).status).toBe(200);
      const onC = async (): Promise<unknown> => {
        const got = await fetch(`${c.base}/tab/redaction-rules?origin=${encodeURIComponent(origin)}`);
        expect(got.status).toBe(200);
        return ((await got.json()) as { fields: unknown }).fields;
      };
      expect(await eventually(async () => JSON.stringify(await onC()) === JSON.stringify(fields))).toBe(true);
    });

    it('lets approvals pending on a process killed with SIGKILL be decided on the others', async () => {
      const agent = await agentToken(a);
      const first = await hold(a, agent, 'orphan.txt');
      const second = await hold(a, agent, 'orphan-rejected.txt');
      a.server.child.kill('SIGKILL');
      await a.server.exit;

      const admin = await login(b);
      const listed = (await pending(c, admin)).map((p) => p.id);
      expect(listed).toEqual(expect.arrayContaining([first, second]));
      const approved = await approve(b, first, admin);
      expect(approved.status).toBe(200);
      expect(await approved.json()).toMatchObject({ state: 'executed', result: { path: 'orphan.txt' } });
      expect(await readFile(join(scratch, 'orphan.txt'), 'utf8')).toBe('written orphan.txt');
      const rejected = await post(c, `/approvals/${second}/reject`, undefined, admin);
      expect(rejected.status).toBe(200);
      expect(await rejected.json()).toMatchObject({ state: 'rejected' });
    });
  });
}
