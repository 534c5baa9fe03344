import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CuttableTcpProxy } from './cuttable-tcp-proxy.js';
import { collectErrorLines } from './error-log-lines.js';
import { deleteRedisKeys, REDIS_URL, redisReachable } from './redis-probe.js';
import { startExample, type Started } from './runbook-smoke.js';
import { readSse, type SseReader } from './sse-reader.js';

const reachable = await redisReachable();
if (!reachable.ok) console.warn(`skipped: Redis outage smoke (${reachable.reason})`);

/** A request not answered within this is a hang: the test fails naming it instead of timing out blind. */
const ANSWER_DEADLINE_MS = 10_000;
/** How long the outage lasts at least while the load runs: several of the stores' re-reads and reconnect tries. */
const OUTAGE_MS = 2500;
/** ioredis backs off to 2 s between tries; once the proxy is back every process must serve within this. */
const RECOVERY_DEADLINE_MS = 15_000;
/** The caller waiting for a decision through the outage waits this long (the decision comes well before). */
const WAIT_SECONDS = 50;

interface Proc {
  readonly name: string;
  readonly server: Started;
  base: string;
  readonly errors: () => string[];
}

/** One answer of the load: when it was sent (relative to the moment Redis went) and what came back. */
interface Answer {
  readonly what: string;
  readonly sentAt: number;
  readonly status: number;
  readonly code?: string;
}

type ErrorBody = { error?: { code?: string; message?: string; stack?: unknown } };

/** The two ways the link to Redis is lost, and how each ends. */
const OUTAGES = {
  /** Connections reset and new ones refused, as when Redis stops or restarts: ioredis sees it at once and reconnects. */
  cut: {
    title: 'the connection to Redis cut (reset, reconnects refused)',
    begin: (proxy: CuttableTcpProxy) => proxy.cut(),
    end: (proxy: CuttableTcpProxy) => proxy.listen(),
  },
  /** A dead link: nothing closes, nothing answers, so every command waits for its timeout; then the bytes flow again. */
  partition: {
    title: 'Redis partitioned away (sockets open, no byte passes)',
    begin: (proxy: CuttableTcpProxy) => proxy.partition(),
    end: (proxy: CuttableTcpProxy) => proxy.heal(),
  },
} as const;

/**
 * Three separate OS processes of one example lose Redis while calls are in flight (issue 18), once
 * by a cut and once by a partition: they fail closed with 503 `state_unavailable`, stay up and say so
 * on their readiness route and gauge, and serve again, without a restart, once Redis is back, with
 * nothing they had acknowledged lost. Redis itself keeps running (other suites use it): the outage
 * is a TCP proxy between the processes and Redis.
 */
export function describeRedisOutageSmoke(framework: string, exampleDir: string): void {
  for (const outage of Object.keys(OUTAGES) as Array<keyof typeof OUTAGES>) describeOutage(framework, exampleDir, outage);
}

function describeOutage(framework: string, exampleDir: string, kind: keyof typeof OUTAGES): void {
  const outage = OUTAGES[kind];
  describe.runIf(reachable.ok)(`examples/${framework}-server: ${outage.title} while calls are in flight`, { timeout: 90_000 }, () => {
    const prefix = `agsmoke:${randomUUID()}:`;
    const redis = new URL(REDIS_URL);
    const proxy = new CuttableTcpProxy({ host: redis.hostname === '' ? '127.0.0.1' : redis.hostname, port: Number(redis.port === '' ? 6379 : redis.port) });
    let workDir: string;
    let nodes: Proc[] = [];
    let a: Proc;
    let b: Proc;
    let c: Proc;

    beforeAll(async () => {
      if (!existsSync(resolve(exampleDir, '../../packages/redis/dist/index.js'))) {
        throw new Error('the packages are not built: run `npm run build` (npm test does it first)');
      }
      const port = await proxy.listen();
      workDir = await mkdtemp(join(tmpdir(), 'redis-outage-example-'));
      const scratch = join(workDir, 'scratch');
      await mkdir(scratch);
      nodes = ['a', 'b', 'c'].map((name) => {
        const server = startExample(exampleDir, {
          REDIS_URL: `redis://127.0.0.1:${port}`,
          REDIS_KEY_PREFIX: prefix,
          AGENT_GATEWAY_ADMIN_PASS: 'x',
          AGENT_GATEWAY_JWT_SECRET: 'a-shared-secret-of-at-least-32-bytes!!',
          // A limit, so every call also takes from the shared bucket in Redis, but one the load never reaches.
          AGENT_GATEWAY_RATE_LIMIT: '100000',
          AGENT_GATEWAY_USERS_PATH: join(workDir, `users-${name}.json`),
          AGENT_GATEWAY_AUDIT_PATH: join(workDir, `audit-${name}.log`),
          AGENT_GATEWAY_STATE_DIR: join(workDir, `state-${name}`),
          SCRATCH_DIR: scratch,
          SANDBOX_POOL_SIZE: '1',
          MCP_ENABLED: 'false',
        });
        return { name, server, base: '', errors: collectErrorLines(server.child) };
      });
      [a, b, c] = nodes as [Proc, Proc, Proc];
      await Promise.all(nodes.map(async (node) => {
        node.base = await node.server.url;
      }));
    }, 60_000);

    afterAll(async () => {
      // A test that failed midway leaves the load running: stop it before its targets go.
      loadStopped = true;
      await load;
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
      stream?.close();
      await proxy.cut();
      await deleteRedisKeys(prefix);
      if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
    });

    /** Every request of this suite: one that is not answered within the deadline fails as a hang. */
    const send = async (node: Proc, method: string, path: string, options: { body?: unknown; token?: string; deadlineMs?: number } = {}): Promise<Response> => {
      try {
        return await fetch(`${node.base}${path}`, {
          method,
          headers: {
            ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
            ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
          },
          ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
          signal: AbortSignal.timeout(options.deadlineMs ?? ANSWER_DEADLINE_MS),
        });
      } catch (error) {
        throw new Error(`${method} ${path} on ${node.name} was not answered: ${error instanceof Error ? error.message : String(error)}`);
      }
    };
    const json = async <T>(response: Response): Promise<T> => (await response.json()) as T;
    const login = async (node: Proc, username: string, password: string): Promise<string> => {
      const response = await send(node, 'POST', '/admin/login', { body: { username, password } });
      expect(response.status).toBe(200);
      return (await json<{ token: string }>(response)).token;
    };
    const echo = (node: Proc, token: string) => send(node, 'POST', '/tools/call', { body: { tool: 'echo', args: { text: 'hi' } }, token });
    const hold = (node: Proc, token: string, path: string) => send(node, 'POST', '/tools/call', { body: { tool: 'file.write', args: { path, content: path } }, token });
    const pendingIds = async (node: Proc, token: string): Promise<string[]> => {
      const listed = await send(node, 'GET', '/approvals', { token });
      expect(listed.status).toBe(200);
      return (await json<{ approvals: Array<{ id: string }> }>(listed)).approvals.map((approval) => approval.id);
    };
    /** The id of the pending approval of the held `file.write` of this path, as listed on `node`. */
    const heldId = async (node: Proc, token: string, path: string): Promise<string | undefined> => {
      const listed = await send(node, 'GET', '/approvals', { token });
      expect(listed.status).toBe(200);
      return (await json<{ approvals: Array<{ id: string; args?: { path?: string } }> }>(listed)).approvals.find((approval) => approval.args?.path === path)?.id;
    };
    const alive = (node: Proc) => node.server.child.exitCode === null && node.server.child.signalCode === null;
    const gauge = async (node: Proc): Promise<string | undefined> =>
      /^state_store_up\{store="redis"\} (\d+)$/m.exec(await (await send(node, 'GET', '/metrics')).text())?.[1];
    const eventually = async (check: () => Promise<boolean>, ms: number): Promise<boolean> => {
      const deadline = Date.now() + ms;
      for (;;) {
        if (await check()) return true;
        if (Date.now() > deadline) return false;
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    /** A fail-closed answer: 503 `state_unavailable` as JSON with `Retry-After`, and nothing of the cause. */
    const expectStateUnavailable = async (response: Response, what: string): Promise<void> => {
      const text = await response.text();
      expect(response.status, `${what}: ${text}`).toBe(503);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(response.headers.get('retry-after')).toBe('1');
      const body = JSON.parse(text) as ErrorBody;
      expect(body.error?.code).toBe('state_unavailable');
      expect(body.error?.stack).toBeUndefined();
      expect(text).not.toMatch(/\n\s+at |ECONNREFUSED|127\.0\.0\.1|ioredis/i);
    };

    let lostAt = Number.POSITIVE_INFINITY;
    let admin: string;
    let agent: string;
    let revoked: string;
    let heldBefore: string;
    const origin = 'https://bank.example';
    const answers: Answer[] = [];
    /** Held calls answered 202: acknowledged, so they must all be there after the outage. */
    const acknowledged: string[] = [];
    let loadStopped = false;
    let load: Promise<void> = Promise.resolve();
    let waiting: Promise<Response> | undefined;
    let stream: SseReader | undefined;

    /** Echo on every process, and held calls created and listed round the three, until stopped. */
    const startLoad = (): Promise<void> => {
      /** Records the answer; one that never comes (a hang, a dropped connection) is recorded as status 0. */
      const record = async (what: string, request: () => Promise<Response>): Promise<{ status: number; body: ErrorBody & { approval_id?: string } } | undefined> => {
        const sentAt = performance.now() - lostAt;
        try {
          const response = await request();
          const body = (await response.json()) as ErrorBody & { approval_id?: string };
          answers.push({ what, sentAt, status: response.status, ...(body.error?.code === undefined ? {} : { code: body.error.code }) });
          return { status: response.status, body };
        } catch (error) {
          answers.push({ what, sentAt, status: 0, code: error instanceof Error ? error.message : String(error) });
          return undefined;
        }
      };
      const echoes = nodes.map(async (node) => {
        while (!loadStopped) {
          await record(`echo on ${node.name}`, () => echo(node, agent));
          await new Promise((r) => setTimeout(r, 10));
        }
      });
      const approvals = (async () => {
        for (let i = 0; !loadStopped; i += 1) {
          const node = nodes[i % 3] as Proc;
          const held = await record(`hold on ${node.name}`, () => hold(node, agent, `load-${i}.txt`));
          if (held?.status === 202 && held.body.approval_id !== undefined) acknowledged.push(held.body.approval_id);
          const lister = nodes[(i + 1) % 3] as Proc;
          await record(`list on ${lister.name}`, () => send(lister, 'GET', '/approvals', { token: admin }));
          await new Promise((r) => setTimeout(r, 30));
        }
      })();
      return Promise.all([...echoes, approvals]).then(() => undefined);
    };

    it('serves through the proxy: ready, the gauge at 1, calls answered', async () => {
      for (const node of nodes) {
        expect((await send(node, 'GET', '/health/ready')).status).toBe(200);
        expect(await gauge(node)).toBe('1');
      }
      admin = await login(a, 'admin', 'x');
      expect((await send(a, 'POST', '/admin/users', { body: { username: 'bot', password: 'bot-password', role: 'agent' }, token: admin })).status).toBe(201);
      agent = await login(b, 'bot', 'bot-password');
      for (const node of nodes) expect((await echo(node, agent)).status).toBe(200);

      // Acknowledged before the outage, so they must outlive it: a revocation, a held call, a redaction rule.
      revoked = await login(c, 'bot', 'bot-password');
      expect((await send(b, 'POST', '/admin/revoke', { body: { token: revoked }, token: admin })).status).toBe(200);
      const held = await hold(a, agent, 'held-before.txt');
      expect(held.status).toBe(202);
      heldBefore = (await json<{ approval_id: string }>(held)).approval_id;
      expect((await send(c, 'POST', '/tab/redaction-rules', { body: { origin, fields: ['password'] }, token: admin })).status).toBe(200);
    });

    it('fails closed with 503 state_unavailable during the outage, and every process stays up and says so', async () => {
      // A stream client on A open across the whole outage.
      stream = await readSse(`${a.base}/approvals/stream`, { authorization: `Bearer ${admin}` });
      expect(stream.status).toBe(200);
      // A caller waiting on A for a decision across the whole outage.
      waiting = send(a, 'POST', '/tools/call', { body: { tool: 'file.write', args: { path: 'waited.txt', content: 'waited' }, wait: WAIT_SECONDS }, token: agent, deadlineMs: WAIT_SECONDS * 1000 + ANSWER_DEADLINE_MS });
      // Its failure is asserted when it is awaited, after the outage.
      waiting.catch(() => undefined);
      expect(await eventually(async () => (await heldId(b, admin, 'waited.txt')) !== undefined, 5000)).toBe(true);

      load = startLoad();
      await new Promise((r) => setTimeout(r, 500));
      // Calls in flight at the moment Redis goes, on every process: they are answered, one way or the other.
      const inFlight = nodes.map((node) => echo(node, agent));
      lostAt = performance.now();
      await outage.begin(proxy);
      for (const answer of await Promise.all(inFlight)) expect([200, 503]).toContain(answer.status);

      // Every process refuses, whichever store a request needs (all at once: through a partition
      // each refusal waits for the command timeout).
      expect(await eventually(async () => (await Promise.all(nodes.map(async (node) => (await echo(node, agent)).status === 503))).every(Boolean), 5000)).toBe(true);
      const refusals = nodes.flatMap((node): Array<[string, () => Promise<Response>]> => [
        [`echo on ${node.name}`, () => echo(node, agent)],
        // A token revoked before the outage is not let through because its revocation cannot be read.
        [`the revoked token on ${node.name}`, () => echo(node, revoked)],
        [`a held call on ${node.name}`, () => hold(node, agent, `during-${node.name}.txt`)],
        [`an approve on ${node.name}`, () => send(node, 'POST', `/approvals/${heldBefore}/approve`, { token: admin })],
        [`the approvals list on ${node.name}`, () => send(node, 'GET', '/approvals', { token: admin })],
        [`a login on ${node.name}`, () => send(node, 'POST', '/admin/login', { body: { username: 'bot', password: 'bot-password' } })],
        [`a revoke on ${node.name}`, () => send(node, 'POST', '/admin/revoke', { body: { token: agent }, token: admin })],
      ]);
      await Promise.all(refusals.map(async ([what, request]) => expectStateUnavailable(await request(), what)));

      await new Promise((r) => setTimeout(r, OUTAGE_MS));
      await Promise.all(nodes.map(async (node) => {
        expect(alive(node), `process ${node.name} is alive`).toBe(true);
        expect((await send(node, 'GET', '/health')).status).toBe(200);
        const ready = await send(node, 'GET', '/health/ready');
        expect(ready.status).toBe(503);
        expect(await ready.json()).toEqual({ ready: false, stores: { redis: 'down' } });
        expect(await gauge(node)).toBe('0');
      }));
      expect(answers.filter((answer) => answer.sentAt > 0 && answer.status === 503).length).toBeGreaterThan(0);
    });

    it('serves again with the same processes once Redis is back, with nothing acknowledged lost', async () => {
      const pids = nodes.map((node) => node.server.child.pid);
      const restoredAt = performance.now() - lostAt;
      await outage.end(proxy);
      expect(await eventually(async () => {
        const ok = await Promise.all(nodes.map(async (node) => (await send(node, 'GET', '/health/ready')).status === 200 && (await echo(node, agent)).status === 200));
        return ok.every(Boolean);
      }, RECOVERY_DEADLINE_MS)).toBe(true);
      for (const node of nodes) expect(await gauge(node)).toBe('1');
      loadStopped = true;
      await load;
      expect(nodes.map((node) => node.server.child.pid)).toEqual(pids);
      expect(nodes.every(alive)).toBe(true);

      // The load saw only answers it may see: served, held, or refused with state_unavailable. Never a 500.
      const unexpected = answers.filter((answer) => ![200, 202].includes(answer.status) && !(answer.status === 503 && answer.code === 'state_unavailable'));
      expect(unexpected).toEqual([]);
      expect(answers.some((answer) => answer.sentAt < 0 && answer.status === 200)).toBe(true);
      expect(answers.some((answer) => answer.sentAt > restoredAt && answer.status === 200)).toBe(true);

      // Nothing acknowledged was lost: the revocation holds, the held calls are all listed, the rule is there.
      for (const node of nodes) expect((await echo(node, revoked)).status).toBe(401);
      const listed = await pendingIds(c, admin);
      expect(listed).toEqual(expect.arrayContaining([heldBefore, ...acknowledged]));
      const rule = await send(b, 'GET', `/tab/redaction-rules?origin=${encodeURIComponent(origin)}`);
      expect(await json<{ fields: unknown }>(rule)).toMatchObject({ fields: ['password'] });

      // Decisions work again, and the caller waiting on A since before the outage gets its result.
      const approved = await send(b, 'POST', `/approvals/${heldBefore}/approve`, { token: admin });
      expect(approved.status).toBe(200);
      expect(await approved.json()).toMatchObject({ state: 'executed', result: { path: 'held-before.txt' } });
      // Decided on B, seen live by the client on A whose stream stayed open through the outage.
      if (stream === undefined) throw new Error('no stream was opened before the outage');
      await stream.until((events) => events.some((e) => e.event === 'approval.executed' && (e.data as { id?: string } | undefined)?.id === heldBefore), 10_000);
      const waitedId = await heldId(c, admin, 'waited.txt');
      expect(waitedId).toBeDefined();
      expect((await send(c, 'POST', `/approvals/${waitedId ?? ''}/approve`, { token: admin })).status).toBe(200);
      const waited = await (waiting ?? Promise.reject(new Error('no waiting call')));
      expect(waited.status).toBe(200);
      expect(await waited.json()).toMatchObject({ approval_id: waitedId, result: { path: 'waited.txt' } });
      expect(await readFile(join(workDir, 'scratch', 'waited.txt'), 'utf8')).toBe('waited');

      expect(nodes.flatMap((node) => node.errors()).filter((line) => line.includes('unhandled error'))).toEqual([]);
    });
  });
}
