import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { listenOnLoopback } from '../../../conformance/src/listen.js';
import { ApprovalQueue, Gateway, silentLogger, systemCaller, type Caller } from '../../src/index.js';
import { approvalEventStream } from '../../src/approvals/approval-stream.js';

// An approver's stream shows held calls with their arguments. It used to be checked only when opened:
// a session revoked (signed out, or revoked by an admin) went on receiving every held call until the
// client reconnected. Now the stream asks again before it sends and ends once the answer is no.

const alice: Caller = { kind: 'user', id: 'alice', role: 'agent' };

describe('approvalEventStream with stillAllowed', () => {
  it('ends instead of sending once the client may no longer see it', async () => {
    const queue = new ApprovalQueue();
    const controller = new AbortController();
    let allowed = true;
    let asked = 0;
    const stream = approvalEventStream(queue, controller.signal, {
      present: (change) => change.approval.id,
      recheckMs: 0,
      stillAllowed: async () => {
        asked += 1;
        return allowed;
      },
    });
    expect((await stream.next()).value).toContain(': connected');
    const first = await queue.request({ callId: 'c1', tool: 't', args: {}, caller: alice });
    expect((await stream.next()).value).toContain(first.id);
    allowed = false;
    const second = await queue.request({ callId: 'c2', tool: 't', args: {}, caller: alice });
    const after = await stream.next();
    expect(after.done).toBe(true);
    expect(String(after.value ?? '')).not.toContain(second.id);
    expect(asked).toBeGreaterThanOrEqual(1);
    controller.abort();
    queue.close();
  });
});

const opened: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of opened.splice(0)) await close();
});

/** Reads an SSE body until it ends or `limitMs` passes; the text it got. */
async function readUntilEnd(body: ReadableStream<Uint8Array>, limitMs: number): Promise<{ text: string; ended: boolean }> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const deadline = Date.now() + limitMs;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) {
      await reader.cancel();
      return { text, ended: false };
    }
    const next = await Promise.race([reader.read(), new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), left))]);
    if (next === 'late') continue;
    if (next.done) return { text, ended: true };
    text += decoder.decode(next.value, { stream: true });
  }
}

describe('GET /approvals/stream for a signed-in approver', () => {
  it('ends once the session is signed out, and never sends it a call held after that', async () => {
    const gateway = new Gateway({ logger: silentLogger, auth: { passwordHashing: { logN: 10, r: 8, p: 1 } } });
    gateway.registerTool({ name: 'risky', description: 'held', args: z.object({ n: z.number() }), requiresApproval: true, run: () => 'ran' });
    for (const [username, role] of [['ann', 'approver'], ['bob', 'approver'], ['agent', 'agent']] as const) {
      await gateway.auth.createUser({ username, password: `${username}-password`, role }, { actor: systemCaller('test') });
    }
    const server = await listenOnLoopback(gateway.nodeListener());
    opened.push(async () => {
      await server.close();
      await gateway.close();
    });
    const token = async (username: string) => (await gateway.auth.login(username, `${username}-password`, { address: 'test' })).accessToken;
    const [ann, bob, agent] = [await token('ann'), await token('bob'), await token('agent')];
    const stream = (bearer: string) => fetch(`${server.baseUrl}/approvals/stream`, { headers: { authorization: `Bearer ${bearer}` } });
    const hold = async (n: number) => {
      const response = await fetch(`${server.baseUrl}/tools/call`, {
        method: 'POST',
        headers: { authorization: `Bearer ${agent}`, 'content-type': 'application/json' },
        body: JSON.stringify({ tool: 'risky', args: { n } }),
      });
      return ((await response.json()) as { approval_id: string }).approval_id;
    };
    const annStream = await stream(ann);
    const bobStream = await stream(bob);
    expect(annStream.status).toBe(200);
    expect(bobStream.status).toBe(200);
    expect((await fetch(`${server.baseUrl}/admin/logout`, { method: 'POST', headers: { authorization: `Bearer ${ann}` } })).status).toBeLessThan(300);
    // Past the stream's recheck interval, so its next look at the session is a fresh one.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const held = await hold(7);
    const annSaw = await readUntilEnd(annStream.body!, 10_000);
    expect(annSaw.ended).toBe(true);
    expect(annSaw.text).not.toContain(held);
    const bobSaw = await readUntilEnd(bobStream.body!, 1500);
    expect(bobSaw.text).toContain(held);
    // Reconnecting with the signed-out token is refused.
    expect((await stream(ann)).status).toBe(401);
  });
});
