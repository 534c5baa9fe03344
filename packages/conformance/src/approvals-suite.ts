import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalView, AuditEntry } from '@agent-gateway/core';
import { createConformanceGateway, USERS, type ConformanceGateway } from './conformance-gateway.js';
import { getJson, postJson, rawRequest, type RawResponse } from './http-client.js';
import { login, type Session } from './sessions.js';
import { connectSse } from './sse-client.js';
import { expectError, type RunningServer, type StartServer } from './suite.js';

/** Runbook section 4 over HTTP: held calls, decisions, long-polls and the event stream. */
export function describeApprovalsConformance(name: string, start: StartServer): void {
  describe(`HTTP conformance (approvals): ${name}`, () => {
    let conformance: ConformanceGateway;
    let server: RunningServer;
    let base: string;
    let admin: Session;
    let agent: Session;
    let approver: Session;
    let otherAgent: Session;
    /** Listeners the gateway itself keeps on the queue (the audit trail), before any client connects. */
    let restingListeners: number;
    const url = (path: string): string => `${base}${path}`;
    const hold = async (session = agent, extra: Record<string, unknown> = {}): Promise<string> => {
      const response = await postJson(url('/tools/call'), { tool: 'risky', args: {}, ...extra }, session.token);
      expect(response.status, response.text).toBe(202);
      return response.json<{ approval_id: string }>().approval_id;
    };
    const decide = (id: string, decision: 'approve' | 'reject', session = approver, body?: unknown): Promise<RawResponse> =>
      rawRequest(url(`/approvals/${id}/${decision}`), {
        method: 'POST',
        headers: {
          authorization: `Bearer ${session.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });

    beforeAll(async () => {
      conformance = await createConformanceGateway();
      restingListeners = conformance.gateway.approvals.listenerCount('change');
      server = await start(conformance.gateway);
      base = server.baseUrl;
      [admin, agent, approver, otherAgent] = await Promise.all([
        login(base, USERS.admin),
        login(base, USERS.agent),
        login(base, USERS.approver),
        login(base, USERS.mathAgent),
      ]);
    });
    afterAll(async () => {
      await server.close();
      await conformance.dispose();
    });

    it('the full lifecycle: 202 pending, listed, approved by an approver, run once, result readable', async () => {
      const runsBefore = conformance.probe.approvalToolRuns;
      const held = await postJson(url('/tools/call'), { tool: 'risky', args: {} }, agent.token);
      expect(held.status).toBe(202);
      const body = held.json<{ status: string; approval_id: string; expires_at: string }>();
      expect(body.status).toBe('pending');
      expect(Date.parse(body.expires_at)).toBeGreaterThan(Date.now());
      expect(conformance.probe.approvalToolRuns).toBe(runsBefore);

      const anonymousList = (await getJson(url('/approvals'))).json<{ approvals: Array<Record<string, unknown>> }>();
      const summary = anonymousList.approvals.find((a) => a.id === body.approval_id);
      expect(summary).toEqual({ id: body.approval_id, tool: 'risky', state: 'pending', created_at: expect.any(String), expires_at: body.expires_at });

      const fullList = (await getJson(url('/approvals'), approver.token)).json<{ approvals: ApprovalView[] }>();
      expect(fullList.approvals.find((a) => a.id === body.approval_id)).toMatchObject({
        args: {},
        args_digest: expect.stringMatching(/^[0-9a-f]{64}$/),
        requested_by: { user: USERS.agent.username, role: 'agent' },
      });

      expect((await getJson(url(`/approvals/${body.approval_id}`), agent.token)).json()).toMatchObject({ state: 'pending' });

      const approved = await decide(body.approval_id, 'approve', approver, { reason: 'looks fine' });
      expect(approved.status, approved.text).toBe(200);
      expect(approved.json()).toMatchObject({ state: 'executed', result: { ran: true }, decided_by: USERS.approver.username, reason: 'looks fine' });
      expect(conformance.probe.approvalToolRuns).toBe(runsBefore + 1);
      expect((await getJson(url(`/approvals/${body.approval_id}`), agent.token)).json()).toMatchObject({ state: 'executed', result: { ran: true } });
      expect((await getJson(url('/approvals'))).json<{ approvals: Array<{ id: string }> }>().approvals.map((a) => a.id)).not.toContain(body.approval_id);
    });

    it('a second approve, or a reject after approve, is a 409 carrying the current state', async () => {
      const id = await hold();
      expect((await decide(id, 'approve')).status).toBe(200);
      const again = expectError(await decide(id, 'approve'), 409, 'approval_not_pending');
      expect(again.error).toMatchObject({ details: { state: 'executed' } });
      expect(expectError(await decide(id, 'reject'), 409, 'approval_not_pending').error).toMatchObject({ details: { state: 'executed' } });
    });

    it('a rejected call never runs; deciding it again is a 409', async () => {
      const runs = conformance.probe.approvalToolRuns;
      const id = await hold();
      const rejected = await decide(id, 'reject', admin, { reason: 'not today' });
      expect(rejected.json()).toMatchObject({ state: 'rejected', reason: 'not today', decided_by: USERS.admin.username });
      expectError(await decide(id, 'approve'), 409, 'approval_not_pending');
      expect(conformance.probe.approvalToolRuns).toBe(runs);
    });

    it('an expired approval is reported as expired (never rejected), and cannot be approved', async () => {
      const id = await hold();
      conformance.advanceApprovalClock(61_000);
      try {
        expect((await getJson(url(`/approvals/${id}`), agent.token)).json()).toMatchObject({ state: 'expired' });
        expect(expectError(await decide(id, 'approve'), 409, 'approval_not_pending').error).toMatchObject({ details: { state: 'expired' } });
      } finally {
        conformance.advanceApprovalClock(-61_000);
      }
    });

    it('50 concurrent approves of one id: exactly one succeeds, the call runs once', async () => {
      const runs = conformance.probe.approvalToolRuns;
      const id = await hold();
      const responses = await Promise.all(Array.from({ length: 50 }, () => decide(id, 'approve')));
      expect(responses.filter((r) => r.status >= 200 && r.status < 300)).toHaveLength(1);
      expect(responses.filter((r) => r.status === 409)).toHaveLength(49);
      expect(conformance.probe.approvalToolRuns).toBe(runs + 1);
    });

    it('a held call whose args were changed in the store is refused (digest mismatch) and not run', async () => {
      const runs = conformance.probe.approvalToolRuns;
      const id = await hold();
      await conformance.approvalStore.transition(id, ['pending'], { args: { evil: true } });
      expectError(await decide(id, 'approve'), 409, 'digest_mismatch');
      expect(conformance.probe.approvalToolRuns).toBe(runs);
      expect((await getJson(url(`/approvals/${id}`), approver.token)).json()).toMatchObject({ state: 'failed', error: { code: 'digest_mismatch' } });
    });

    it('nobody approves their own call; agents cannot decide; unknown ids are 404', async () => {
      const own = await hold(admin);
      expectError(await decide(own, 'approve', admin), 403, 'self_approval');
      expectError(await decide(own, 'approve', agent), 403, 'forbidden');
      expectError(await decide('no-such-id', 'approve'), 404, 'not_found');
      expectError(await getJson(url('/approvals/no-such-id'), admin.token), 404, 'not_found');
    });

    it("another agent cannot see someone else's held call", async () => {
      const id = await hold();
      expectError(await getJson(url(`/approvals/${id}`), otherAgent.token), 404, 'not_found');
      expectError(await getJson(url(`/approvals/${id}`)), 401, 'unauthorized');
    });

    it('GET /approvals/{id}?wait= long-polls until the decision; a wait over 60 s is a 400', async () => {
      const id = await hold();
      const polling = getJson(url(`/approvals/${id}?wait=10`), agent.token);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await decide(id, 'approve');
      expect((await polling).json()).toMatchObject({ state: 'executed', result: { ran: true } });
      expectError(await getJson(url(`/approvals/${id}?wait=61`), agent.token), 400, 'bad_request');
    });

    it('POST /tools/call with "wait" blocks until decided: result when approved, 403 when rejected', async () => {
      const waitFor = async (decision: 'approve' | 'reject') => {
        const before = (await getJson(url('/approvals'), approver.token)).json<{ approvals: Array<{ id: string }> }>().approvals.map((a) => a.id);
        const call = postJson(url('/tools/call'), { tool: 'risky', args: {}, wait: 10 }, agent.token);
        let id: string | undefined;
        for (let i = 0; i < 100 && id === undefined; i += 1) {
          await new Promise((resolve) => setTimeout(resolve, 10));
          const now = (await getJson(url('/approvals'), approver.token)).json<{ approvals: Array<{ id: string }> }>().approvals.map((a) => a.id);
          id = now.find((candidate) => !before.includes(candidate));
        }
        expect(id).toBeDefined();
        await decide(id ?? '', decision);
        return call;
      };
      const approved = await waitFor('approve');
      expect(approved.status).toBe(200);
      expect(approved.json()).toMatchObject({ result: { ran: true }, approval_id: expect.any(String) });
      expectError(await waitFor('reject'), 403, 'approval_rejected');
    });

    it('counts approvals_queued_total and audits requests and decisions with the deciding user', async () => {
      const metrics = await (await fetch(url('/metrics'))).text();
      expect(Number(/^approvals_queued_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(5);
      const decided = (await getJson(url('/admin/audit?event=approval_decided&tail=1000'), admin.token)).json<AuditEntry[]>();
      expect(decided.some((e) => e.actor.type === 'user' && e.actor.user === USERS.approver.username && e.details.decision === 'approved')).toBe(true);
      const requested = (await getJson(url('/admin/audit?event=approval_requested&tail=1'), admin.token)).json<AuditEntry[]>();
      expect(requested[0]).toMatchObject({ actor: { user: USERS.agent.username }, details: { tool: 'risky', args_digest: expect.any(String) } });
    });

    describe('GET /approvals/stream', () => {
      it('a client sees requested then approved, with increasing ids; anonymous clients get the summary', async () => {
        const anonymous = await connectSse(url('/approvals/stream'));
        const full = await connectSse(url('/approvals/stream'), { authorization: `Bearer ${approver.token}` });
        try {
          expect(anonymous.response.headers['content-type']).toMatch(/^text\/event-stream/);
          const id = await hold();
          await decide(id, 'approve');
          const events = (await full.waitForEvents(3)).filter((m) => (m.data as { id: string }).id === id);
          expect(events.map((m) => m.event)).toEqual(['approval.requested', 'approval.approved', 'approval.executed']);
          const ids = events.map((m) => Number(m.id));
          expect(ids).toEqual([...ids].sort((a, b) => a - b));
          expect(new Set(ids).size).toBe(3);
          expect(events[0]?.data).toMatchObject({ args: {}, requested_by: { user: USERS.agent.username } });
          const summaries = await anonymous.waitForEvents(3);
          expect(summaries[0]?.data).not.toHaveProperty('args');
          expect(summaries[0]?.data).not.toHaveProperty('requested_by');
        } finally {
          anonymous.close();
          full.close();
        }
      });

      it('reconnecting with Last-Event-ID replays what the client missed', async () => {
        const first = await connectSse(url('/approvals/stream'));
        const id1 = await hold();
        const [seen] = await first.waitForEvents(1);
        first.close();
        const missed = await hold();
        await decide(id1, 'reject');
        const again = await connectSse(url('/approvals/stream'), { 'last-event-id': seen?.id ?? '0' });
        try {
          const replayed = await again.waitForEvents(2);
          expect(replayed.map((m) => [m.event, (m.data as { id: string }).id])).toEqual([
            ['approval.requested', missed],
            ['approval.rejected', id1],
          ]);
        } finally {
          again.close();
        }
      });

      it('200 clients connect and leave: no listener is left behind', async () => {
        const queue = conformance.gateway.approvals;
        const baseline = restingListeners;
        // Clients of earlier tests may still be on their way out.
        for (let i = 0; i < 200 && queue.listenerCount('change') > baseline; i += 1) await new Promise((r) => setTimeout(r, 10));
        const clients = await Promise.all(Array.from({ length: 200 }, () => connectSse(url('/approvals/stream'))));
        await Promise.all(clients.map((c) => c.waitForEvents(0)));
        for (let i = 0; i < 100 && queue.listenerCount('change') < baseline + 200; i += 1) await new Promise((r) => setTimeout(r, 10));
        expect(queue.listenerCount('change')).toBe(baseline + 200);
        for (const client of clients) client.close();
        for (let i = 0; i < 200 && queue.listenerCount('change') > baseline; i += 1) await new Promise((r) => setTimeout(r, 10));
        expect(queue.listenerCount('change')).toBe(baseline);
      });

      it('a client that does not read does not hold up the others', async () => {
        const slow = await connectSse(url('/approvals/stream'), {}, { paused: true });
        const fast = await connectSse(url('/approvals/stream'));
        try {
          const ids = await Promise.all(Array.from({ length: 30 }, () => hold()));
          const events = await fast.waitForEvents(30);
          expect(events.map((m) => (m.data as { id: string }).id)).toEqual(expect.arrayContaining(ids));
        } finally {
          slow.close();
          fast.close();
        }
      });
    });
  });
}
