import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteRedisKeys, REDIS_URL, redisCommand, redisReachable } from './redis-probe.js';
import { startExample, type Started } from './runbook-smoke.js';

const reachable = await redisReachable();
if (!reachable.ok) console.warn(`skipped: Redis cluster scheduler smoke (${reachable.reason})`);

const TASK = 'every-second';

interface Proc {
  readonly name: string;
  readonly server: Started;
  base: string;
  readonly auditPath: string;
}

/** A due time of the task granted to one process: the lease key `<prefix>schedule-lease:<task>:<due ms>`, whose value names the pid. */
interface Grant {
  readonly dueAt: number;
  readonly pid: number;
}

/**
 * Three separate OS processes of one example sharing one Redis (issue 18): a task due every second,
 * created through the admin API of one of them, runs once per due time across the three, and goes on
 * running after the process that held the last lease is killed with SIGKILL.
 *
 * Each due time is taken by one process with a lease key in Redis (`SET NX`), and each run is a
 * `scheduled_run` entry in the audit log of the process that ran it. So "no due time runs twice" is:
 * each process has logged as many runs as it holds leases, never more. Lease keys live 60 s; runs
 * are only compared from the oldest lease still in Redis.
 */
export function describeRedisClusterSchedulerSmoke(framework: string, exampleDir: string): void {
  // Generous per-test time: three processes and their sandbox workers share the machine with whatever else runs.
  describe.runIf(reachable.ok)(`examples/${framework}-server: a scheduled task across three processes sharing one Redis`, { timeout: 45_000 }, () => {
    const prefix = `agsmoke:${randomUUID()}:`;
    let workDir: string;
    let nodes: Proc[] = [];

    beforeAll(async () => {
      if (!existsSync(resolve(exampleDir, '../../packages/redis/dist/index.js'))) {
        throw new Error('the packages are not built: run `npm run build` (npm test does it first)');
      }
      workDir = await mkdtemp(join(tmpdir(), 'redis-cluster-scheduler-'));
      nodes = ['a', 'b', 'c'].map((name) => {
        const auditPath = join(workDir, `audit-${name}.log`);
        const server = startExample(exampleDir, {
          REDIS_URL,
          REDIS_KEY_PREFIX: prefix,
          AGENT_GATEWAY_ADMIN_PASS: 'x',
          AGENT_GATEWAY_JWT_SECRET: 'a-shared-secret-of-at-least-32-bytes!!',
          AGENT_GATEWAY_USERS_PATH: join(workDir, `users-${name}.json`),
          AGENT_GATEWAY_AUDIT_PATH: auditPath,
          AGENT_GATEWAY_STATE_DIR: join(workDir, `state-${name}`),
          SCRATCH_DIR: join(workDir, 'scratch'),
          SANDBOX_POOL_SIZE: '1',
          MCP_ENABLED: 'false',
        });
        return { name, server, base: '', auditPath };
      });
      await Promise.all(nodes.map(async (node) => {
        node.base = await node.server.url;
      }));
    }, 60_000);

    afterAll(async () => {
      await Promise.all(nodes.map(async (node) => {
        if (node.server.child.exitCode === null && node.server.child.signalCode === null) {
          node.server.child.kill('SIGKILL');
          await node.server.exit;
        }
      }));
      await deleteRedisKeys(prefix);
      if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
    });

    const alive = (node: Proc): boolean => node.server.child.exitCode === null && node.server.child.signalCode === null;
    const pidOf = (node: Proc): number => node.server.child.pid ?? -1;

    /** Every lease of the task still in Redis, oldest first (one script, answered as a single status line). */
    const grants = async (): Promise<Grant[]> => {
      const keyPrefix = `${prefix}schedule-lease:${TASK}:`;
      const script =
        "local out = {} for _, k in ipairs(redis.call('KEYS', ARGV[1])) do out[#out + 1] = k .. '=' .. (redis.call('GET', k) or '') end " +
        "return { ok = table.concat(out, ',') }";
      const line = (await redisCommand(['EVAL', script, '0', `${keyPrefix}*`])).slice(1);
      return line
        .split(',')
        .filter((entry) => entry !== '')
        .map((entry) => {
          const [key = '', owner = ''] = entry.split('=');
          return { dueAt: Number(key.slice(keyPrefix.length)), pid: Number(/^pid (\d+)$/.exec(owner)?.[1] ?? -1) };
        })
        .sort((x, y) => x.dueAt - y.dueAt);
    };

    /** The task's runs a process has logged (`scheduled_run` audit entries), with their outcome and time. */
    const runsOf = async (node: Proc): Promise<Array<{ at: number; outcome: string }>> => {
      const text = existsSync(node.auditPath) ? await readFile(node.auditPath, 'utf8') : '';
      return text.split('\n').flatMap((line) => {
        let entry: { event?: string; ts?: string; details?: { task?: string; outcome?: string } };
        try {
          entry = JSON.parse(line) as typeof entry;
        } catch {
          return []; // a blank line, or the last one while it is being written
        }
        return entry.event === 'scheduled_run' && entry.details?.task === TASK ? [{ at: Date.parse(entry.ts ?? ''), outcome: entry.details.outcome ?? '' }] : [];
      });
    };

    /**
     * Runs and leases per process, compared from the oldest lease still in Redis. Logs are read
     * before the leases: a run is logged after its lease is taken, so at this snapshot a process can
     * hold a lease whose run is not logged yet, but never have logged a run it holds no lease for.
     */
    const tally = async (): Promise<{ perNode: Array<{ node: Proc; runs: number; leases: number; failed: number }>; grants: Grant[] }> => {
      const logged = await Promise.all(nodes.map(runsOf));
      const held = await grants();
      const since = held[0]?.dueAt ?? Number.POSITIVE_INFINITY;
      const perNode = nodes.map((node, i) => {
        // A run is logged at or after its due time, never before it.
        const runs = (logged[i] ?? []).filter((run) => run.at >= since);
        return { node, runs: runs.length, leases: held.filter((grant) => grant.pid === pidOf(node)).length, failed: runs.filter((run) => run.outcome !== 'ok').length };
      });
      return { perNode, grants: held };
    };

    /** Polls until `check` holds on a tally; fails with the last tally shown when `ms` pass. */
    const eventually = async (what: string, check: (t: Awaited<ReturnType<typeof tally>>) => boolean, ms = 20_000) => {
      const deadline = Date.now() + ms;
      for (;;) {
        const t = await tally();
        // Whatever the moment: no process ever ran more due times than it took.
        for (const { node, runs, leases } of t.perNode) expect(runs, `${node.name}: runs logged vs leases held`).toBeLessThanOrEqual(leases);
        if (check(t)) return t;
        if (Date.now() > deadline) {
          throw new Error(`${what} did not happen within ${ms} ms: ${JSON.stringify(t.perNode.map(({ node, runs, leases }) => ({ node: node.name, runs, leases })))}`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const settled = (t: Awaited<ReturnType<typeof tally>>): boolean => t.perNode.every(({ node, runs, leases }) => !alive(node) || runs === leases);

    it('runs a task due every second, created through the admin API of A, once per due time across A, B and C', async () => {
      const [a] = nodes as [Proc];
      const login = await fetch(`${a.base}/admin/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'x' }) });
      expect(login.status).toBe(200);
      const { token } = (await login.json()) as { token: string };
      const created = await fetch(`${a.base}/admin/schedule`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ name: TASK, tool: 'echo', args: { text: 'tick' }, every: '1s', runAs: 'admin' }),
      });
      expect(created.status).toBe(200);

      // Every process lists the task, armed: the definition reached them through Redis.
      for (const node of nodes) {
        const deadline = Date.now() + 5000;
        let armed = false;
        while (!armed && Date.now() < deadline) {
          const listed = await fetch(`${node.base}/admin/schedule`, { headers: { authorization: `Bearer ${token}` } });
          const { tasks } = (await listed.json()) as { tasks: Array<{ name: string; next_run_at: string | null }> };
          armed = tasks.some((task) => task.name === TASK && task.next_run_at !== null);
          if (!armed) await new Promise((r) => setTimeout(r, 100));
        }
        expect(armed, `${node.name} has the task armed`).toBe(true);
      }

      const first = await eventually('six due times run', (t) => t.grants.length >= 6 && settled(t));
      const later = await eventually('three more due times run', (t) => t.grants.length >= first.grants.length + 3 && settled(t));
      for (const grant of later.grants) expect(grant.dueAt % 1000, 'a due time is a whole second').toBe(0);
      expect(later.perNode.reduce((sum, { runs }) => sum + runs, 0)).toBe(later.grants.length);
      expect(later.perNode.map(({ failed }) => failed)).toEqual([0, 0, 0]);
    });

    it('goes on running on the others after the process that held the last lease is killed with SIGKILL', async () => {
      const { grants: before } = await tally();
      const holderPid = before.at(-1)?.pid;
      const holder = nodes.find((node) => pidOf(node) === holderPid);
      expect(holder, 'the last lease names one of the three processes').toBeDefined();
      if (holder === undefined) return;
      holder.server.child.kill('SIGKILL');
      await holder.server.exit;
      const killedAt = Date.now();

      const after = await eventually(
        'three due times run by the survivors after the kill',
        (t) => t.grants.filter((grant) => grant.dueAt > killedAt).length >= 3 && settled(t),
      );
      const survivors = new Set(nodes.filter(alive).map(pidOf));
      expect(after.grants.filter((grant) => grant.dueAt > killedAt).every((grant) => survivors.has(grant.pid))).toBe(true);
      for (const { node, runs, leases } of after.perNode) if (alive(node)) expect(runs, node.name).toBe(leases);
    });
  });
}
