import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { ApprovalView, AuditEntry } from '@agent-gateway/core';
import { USERS } from './conformance-gateway.js';
import { getJson, postJson, rawRequest } from './http-client.js';
import { login } from './sessions.js';
import { serveConformanceGateway } from './served-gateway.js';
import { connectSse } from './sse-client.js';
import type { StartServer } from './suite.js';

/** A live-looking token; nothing the gateway shows or stores may contain it. */
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJsZWFrIn0.bGl2ZS1zaWduYXR1cmU';
const API_KEY = 'k-9f8e7d6c5b4a';
const R = '[REDACTED]';

/** Issue 14 item 6: secrets in a caller's data are scrubbed wherever the gateway shows or stores that data. */
export function describeSecretsConformance(name: string, start: StartServer): void {
  describe(`HTTP conformance (secret scrubbing): ${name}`, () => {
    const served = serveConformanceGateway(start);
    const { url } = served;

    it('a held call with "Bearer <jwt>" in a note and an x-api-key arg is scrubbed in the audit log, the approval view and the stream', async () => {
      const stream = await connectSse(url('/approvals/stream'), { authorization: `Bearer ${served.admin.token}` });
      try {
        const fields = { note: `pay with Bearer ${JWT} `, 'x-api-key': API_KEY, amount: 10, hold: true };
        const held = await postJson(url('/tools/call'), { tool: 'form.fill', args: { fields } }, served.agent.token);
        expect(held.status, held.text).toBe(202);
        const id = held.json<{ approval_id: string }>().approval_id;
        const shown = { note: `pay with Bearer ${R} `, 'x-api-key': R, amount: 10, hold: true };

        expect((await getJson(url(`/approvals/${id}`), served.admin.token)).json<ApprovalView>().args).toEqual({ fields: shown });
        const listed = (await getJson(url('/approvals'), served.admin.token)).json<{ approvals: ApprovalView[] }>().approvals;
        expect(listed.find((a) => a.id === id)?.args).toEqual({ fields: shown });
        const [requested] = await stream.waitForEvents(1);
        expect((requested?.data as ApprovalView).args).toEqual({ fields: shown });

        const rejected = await postJson(url(`/approvals/${id}/reject`), { reason: `leaked ${JWT}` }, served.admin.token);
        expect(rejected.json<ApprovalView>().reason).toBe(`leaked ${R}`);

        const entries = (await getJson(url('/admin/audit?tail=10'), served.admin.token)).json<AuditEntry[]>();
        expect(entries.find((e) => e.event === 'tool_call' && e.details.approval_id === id)?.details.args).toEqual({ fields: shown });
        expect(entries.find((e) => e.event === 'approval_requested' && e.details.approval_id === id)?.details.args).toEqual({ fields: shown });
        const file = await readFile(served.conformance.auditPath, 'utf8');
        expect(file).not.toContain(JWT);
        expect(file).not.toContain(API_KEY);
      } finally {
        stream.close();
      }
    });

    it('a call that runs at once is audited scrubbed too, with the caller\'s key names such as pwd and auth_token', async () => {
      const fields = { pwd: 'hunter2', auth_token: 'tok-1', session_token: 'tok-2', note: `see https://bob:pw-3@db.example/?api_key=${API_KEY}` };
      expect((await postJson(url('/tools/call'), { tool: 'form.fill', args: { fields } }, served.agent.token)).status).toBe(200);
      const [entry] = (await getJson(url('/admin/audit?event=tool_call&tail=1'), served.admin.token)).json<AuditEntry[]>();
      expect(entry?.details.args).toEqual({ fields: { pwd: R, auth_token: R, session_token: R, note: `see https://bob:${R}@db.example/?api_key=${R}` } });
      const file = await readFile(served.conformance.auditPath, 'utf8');
      for (const secret of ['hunter2', 'tok-1', 'tok-2', 'pw-3', API_KEY]) expect(file).not.toContain(secret);
    });

    it('a tab snapshot shared under secret names is served redacted, its url and title too', async () => {
      const content = {
        form: { aws_secret_access_key: 'wJalrXUtnFEMI', passphrase: 'open sesame', secret_key: 's-1', access_key: 'a-1', 'x-api-key': API_KEY },
        page: `session ${JWT} here`,
        visible: 'keep me',
      };
      const shared = await rawRequest(url('/tab/snapshot'), {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${served.admin.token}` },
        body: JSON.stringify({ url: `https://app.example/cb?token=${API_KEY}`, title: `Bearer ${JWT}`, content }),
      });
      expect(shared.status, shared.text).toBe(200);
      const snapshot = await getJson(url('/tab/snapshot'), served.agent.token);
      expect(snapshot.json()).toMatchObject({
        origin: 'https://app.example',
        url: `https://app.example/cb?token=${R}`,
        title: `Bearer ${R}`,
        content: {
          form: { aws_secret_access_key: R, passphrase: R, secret_key: R, access_key: R, 'x-api-key': R },
          page: `session ${R} here`,
          visible: 'keep me',
        },
      });
      for (const secret of [JWT, API_KEY, 'wJalrXUtnFEMI', 'open sesame']) expect(snapshot.text).not.toContain(secret);
      expect(await readFile(served.conformance.auditPath, 'utf8')).not.toContain(JWT);
    });

    it('an error that echoes what the caller sent does not echo a secret in it', async () => {
      const response = await postJson(url('/tab/redaction-rules'), { origin: `https://u:pw-9@bank.example/?token=${API_KEY}`, fields: ['x'] }, served.admin.token);
      expect(response.status).toBe(400);
      expect(response.text).not.toContain('pw-9');
      expect(response.text).not.toContain(API_KEY);
    });
  });
}
