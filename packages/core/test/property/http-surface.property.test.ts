import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayRoutes } from '../../src/http/routes/index.js';
import { type ConformanceGateway, createConformanceGateway, getJson, listenOnLoopback, login, postJson, rawRequest, type RawResponse, type RunningServer, type Session, USERS } from '@agent-gateway/conformance';
import { contentTypes, encode, encodings, pathParams, payloads, senders, VALID_BODIES, type Encoding, type Sender } from './http-cases.js';
import { serialise, type JsonTree } from './json-arbitraries.js';

/**
 * Issue 14 ("Also"): random JSON values, keys, depths and encodings on every route that takes a body,
 * over real HTTP. Whatever is sent: never a 5xx, every error in the one JSON shape, the gateway still
 * healthy afterwards, and nothing else changed (no prototype pollution, the same answers as before).
 * fast-check prints the seed and the shrunk case on failure; rerun with `{ seed, path }` to replay it.
 */
/** `PROPERTY_RUNS=2000` for a longer hunt; the default keeps the suite at a few seconds. */
const RUNS_PER_ROUTE = Number(process.env.PROPERTY_RUNS ?? 60);
const routesWithBody = gatewayRoutes.filter((route) => route.bodySchema !== undefined);
const keyOf = (route: { method: string; path: string }) => `${route.method} ${route.path}`;

interface Case {
  readonly sender: Sender;
  readonly payload: JsonTree;
  readonly encoding: Encoding;
  readonly contentType: string | undefined;
  readonly chunked: boolean;
  readonly param: string;
}

/** Everything a case could disturb that no request should: what JavaScript's prototypes hold. */
function prototypeState(): string {
  const names = (o: object) => Reflect.ownKeys(o).map(String).sort().join(',');
  const probe: Record<string, unknown> = {};
  const inherited: string[] = [];
  for (const key in probe) inherited.push(key);
  return JSON.stringify([names(Object.prototype), names(Array.prototype), names(Function.prototype), probe.polluted, inherited]);
}

/** Any error: JSON, `{error:{code,message}}` and nothing else, no stack trace. */
function expectErrorShape(response: RawResponse): void {
  expect(response.headers['content-type'], response.text).toMatch(/^application\/json/);
  const body = response.json<{ error: { code: unknown; message: unknown } }>();
  expect(Object.keys(body)).toEqual(['error']);
  expect(typeof body.error.code).toBe('string');
  expect(typeof body.error.message).toBe('string');
  expect(response.text).not.toMatch(/\bat .+\(.*:\d+:\d+\)|node:internal|\.ts:\d+/);
}

describe('HTTP surface properties', () => {
  it('has a valid body to mutate for every route that takes one (a new route must add its own)', () => {
    expect(Object.keys(VALID_BODIES).sort()).toEqual(routesWithBody.map(keyOf).sort());
  });

  describe.each(routesWithBody.map((route) => [keyOf(route), route] as const))('%s', (_name, route) => {
    let conformance: ConformanceGateway;
    let server: RunningServer;
    let admin: Session;
    let agent: Session;
    let pendingApprovalId: string;
    let before: { prototypes: string; answers: string };
    /** Status and error code counts: `PROPERTY_STATS=1` prints them, to see how far cases get into each route. */
    const outcomes = new Map<string, number>();
    const url = (path: string) => `${server.baseUrl}${path}`;

    /** Answers no request body may change: they are compared before and after every case. */
    const answers = async () => {
      const seen = await Promise.all([getJson(url('/tools'), agent.token), getJson(url('/openapi.json')), getJson(url('/.well-known/jwks.json'))]);
      return JSON.stringify(seen.map((r) => [r.status, r.text]));
    };

    beforeAll(async () => {
      conformance = await createConformanceGateway();
      server = await listenOnLoopback(conformance.gateway.nodeListener());
      admin = await login(server.baseUrl, USERS.admin);
      agent = await login(server.baseUrl, USERS.agent);
      const held = await postJson(url('/tools/call'), { tool: 'risky', args: {} }, agent.token);
      pendingApprovalId = held.json<{ approval_id: string }>().approval_id;
      before = { prototypes: prototypeState(), answers: await answers() };
    });
    afterAll(async () => {
      if (process.env.PROPERTY_STATS !== undefined) console.info(keyOf(route), Object.fromEntries([...outcomes].sort()));
      await server?.close();
      await conformance?.dispose();
    });

    const send = (c: Case): Promise<RawResponse> => {
      const token = { admin: admin.token, agent: agent.token, none: undefined, garbage: 'not.a.token' }[c.sender];
      const headers: Record<string, string> = {};
      if (c.contentType !== undefined) headers['content-type'] = c.contentType;
      if (token !== undefined) headers.authorization = `Bearer ${token}`;
      const path = route.path.replace(/:[a-z]+/g, c.param);
      return rawRequest(url(path), { method: route.method, headers, body: encode(serialise(c.payload), c.encoding), chunked: c.chunked });
    };

    /** `{all:true}` on /admin/revoke and refresh-token reuse legitimately end sessions: log in again to keep reaching handlers. */
    const keepSessions = async () => {
      if ((await getJson(url('/admin/kill-switch'), admin.token)).status === 401) admin = await login(server.baseUrl, USERS.admin);
      if ((await getJson(url('/approvals/none'), agent.token)).status === 401) agent = await login(server.baseUrl, USERS.agent);
    };

    it('never answers 5xx, always errs in the JSON shape, and leaves the gateway healthy and unchanged', async () => {
      const bodies = VALID_BODIES[keyOf(route)]?.({ pendingApprovalId, refreshToken: agent.refreshToken }) ?? [];
      const cases: fc.Arbitrary<Case> = fc.record({
        sender: senders,
        payload: payloads(bodies),
        encoding: encodings,
        contentType: contentTypes,
        chunked: fc.boolean(),
        param: pathParams(pendingApprovalId),
      });
      await fc.assert(
        fc.asyncProperty(cases, async (c) => {
          const response = await send(c);
          const shown = `${response.status} ${response.text.slice(0, 300)}`;
          expect(response.status, shown).toBeGreaterThanOrEqual(200);
          expect(response.status, shown).toBeLessThan(500);
          if (response.status >= 400) expectErrorShape(response);
          const outcome = `${response.status} ${response.status >= 400 ? response.json<{ error: { code: string } }>().error.code : ''}`;
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);

          const health = await getJson(url('/health'));
          expect([health.status, health.text]).toEqual([200, '{"status":"ok"}']);
          expect(prototypeState()).toBe(before.prototypes);
          await keepSessions();
          expect(await answers()).toBe(before.answers);
        }),
        { numRuns: RUNS_PER_ROUTE },
      );
    }, Math.max(120_000, RUNS_PER_ROUTE * 300));
  });
});
