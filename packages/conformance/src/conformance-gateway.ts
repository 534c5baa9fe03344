import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { conformancePlugin, type PluginProbe } from './conformance-plugin.js';
import { AuditLog, Gateway, MemoryApprovalStore, silentLogger, ToolError, type GatewayPlugin, type SigningKey } from '@agent-gateway/core';

/** Small enough that the 413 cases need only a few KiB. */
export const CONFORMANCE_BODY_LIMIT = 4096;
/** Known to the suite, so it can forge tokens that are signed right but wrong in other ways. */
export const CONFORMANCE_SECRET = 'conformance-secret-that-is-at-least-32-bytes-long';
export const CONFORMANCE_ISSUER = 'intelli-agent-gateway';
/** Per (user, address): this many failures, then 429. The other throttle rules stay out of the way. */
export const CONFORMANCE_FREE_LOGIN_ATTEMPTS = 3;

export const USERS = {
  admin: { username: 'root', password: 'root-password', role: 'admin' },
  agent: { username: 'agent-1', password: 'agent-password' , role: 'agent' },
  mathAgent: { username: 'math-agent', password: 'math-password', role: 'agent', tools: ['math.*', 'record.keys'] },
  approver: { username: 'approver-1', password: 'approver-password', role: 'approver' },
} as const;

/** What the suite's tools saw, so a test can prove a refused call never ran. */
export interface ToolProbe {
  approvalToolRuns: number;
}

export interface ConformanceGateway {
  readonly gateway: Gateway;
  readonly probe: ToolProbe;
  /** What the conformance plugin saw of its lifecycle. */
  readonly pluginProbe: PluginProbe;
  readonly auditPath: string;
  /** The approvals' store, for tests that tamper with a held call. */
  readonly approvalStore: MemoryApprovalStore;
  /** Moves the approvals' clock forward (expiry without waiting). */
  advanceApprovalClock(ms: number): void;
  /** Closes the gateway (and its audit log) and removes its files. */
  dispose(): Promise<void>;
}

/**
 * The gateway every adapter is tested with: the same tools, users, keys, limits and a real audit log.
 * A plugin package passes its own plugin in `plugins`, served beside the conformance plugin.
 */
export async function createConformanceGateway(signingKey?: SigningKey, extra: { readonly plugins?: readonly GatewayPlugin[] } = {}): Promise<ConformanceGateway> {
  const probe: ToolProbe = { approvalToolRuns: 0 };
  const pluginProbe: PluginProbe = { initialised: false, closed: false };
  const dir = await mkdtemp(join(tmpdir(), 'conformance-'));
  const auditPath = join(dir, 'audit.log');
  const approvalStore = new MemoryApprovalStore();
  let approvalClockOffset = 0;
  const gateway = new Gateway({
    approvals: { store: approvalStore, timeoutMs: 60_000, now: () => Date.now() + approvalClockOffset },
    bodyLimitBytes: CONFORMANCE_BODY_LIMIT,
    logger: silentLogger,
    plugins: [conformancePlugin(pluginProbe), ...(extra.plugins ?? [])],
    audit: await AuditLog.open(auditPath),
    rateLimits: { perTool: { limited: { perMinute: 2 } } },
    auth: {
      signingKey: signingKey ?? { algorithm: 'HS256', secret: CONFORMANCE_SECRET },
      // Cheap hashing keeps the suite fast; the real parameters are tested in the auth unit tests.
      passwordHashing: { logN: 10, r: 8, p: 1 },
      throttle: {
        perAddress: { freeAttempts: 10_000, maxDelayMs: 1 },
        perUser: { freeAttempts: 10_000, maxDelayMs: 1 },
        perUserAndAddress: { freeAttempts: CONFORMANCE_FREE_LOGIN_ATTEMPTS, maxDelayMs: 60_000 },
      },
    },
  });
  const system = { actor: { kind: 'system', id: 'conformance' } } as const;
  for (const user of Object.values(USERS)) await gateway.auth.createUser(user, system);
  gateway
    .registerTool({
      name: 'echo',
      description: 'Returns its text',
      args: z.object({ text: z.string() }).strict(),
      run: ({ text }) => ({ text }),
    })
    .registerTool({
      name: 'math.add',
      description: 'Adds two numbers',
      args: z.object({ a: z.number(), b: z.number().default(0) }),
      run: ({ a, b }) => ({ sum: a + b }),
    })
    .registerTool({
      name: 'record.keys',
      description: 'Returns the keys of a free-form object and what its prototype looks like',
      args: z.object({ data: z.record(z.string(), z.unknown()) }),
      run: ({ data }) => ({ keys: Object.keys(data), pollutedPrototype: Object.getPrototypeOf(data) !== Object.prototype }),
    })
    .registerTool({
      name: 'fail.plain',
      description: 'Throws an error whose message must never reach the client',
      args: z.object({}),
      run: () => {
        throw new Error('db password is hunter2');
      },
    })
    .registerTool({
      name: 'fail.tool',
      description: 'Throws a ToolError meant for the caller',
      args: z.object({}),
      run: () => {
        throw new ToolError('quota reached', { code: 'quota_reached', status: 429 });
      },
    })
    .registerTool({
      name: 'limited',
      description: 'Two calls a minute per token',
      args: z.object({}),
      run: () => 'ok',
    })
    .registerTool({
      name: 'form.fill',
      description: 'Takes form fields from a page',
      args: z.object({ fields: z.record(z.string(), z.unknown()) }),
      requiresApproval: (args) => args.fields.hold === true,
      run: () => ({ filled: true }),
    })
    .registerTool({
      name: 'risky',
      description: 'Needs approval',
      args: z.object({}),
      requiresApproval: true,
      run: () => {
        probe.approvalToolRuns += 1;
        return { ran: true };
      },
    });
  return {
    gateway,
    probe,
    pluginProbe,
    auditPath,
    approvalStore,
    advanceApprovalClock(ms) {
      approvalClockOffset += ms;
    },
    async dispose() {
      await gateway.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
