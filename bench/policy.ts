// What a policy decision costs: the Cedar engine deciding calls against a set of 100 policies (the six
// examples of docs/policies.md and 94 more of the same kinds), and what consulting it adds to a tool call.
// In one process, no HTTP, no audit log.
//   npm run bench:policy
//
// 1. Loading the set: parse, validate against the tools' schema, preparse (once per load).
// 2. One decision, `engine.decide()`, timed one by one: p50, p99 and p99.9 over SAMPLES decisions of a
//    mix of calls (allowed, denied, held for two approvers) by 20 callers.
// 3. `gateway.callTool` of an allowed call with and without the set, the two taking turns round by round:
//    the median per call of ROUNDS rounds of CALLS calls each.
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { Gateway, policyToolOf, silentLogger, type Caller, type PolicyRequest } from '@agent-gateway/core';
import { cedarPolicies } from '@agent-gateway/policy-cedar';

const SAMPLES = Number(process.env.SAMPLES ?? 50_000);
const CALLS = Number(process.env.CALLS ?? 10_000);
const ROUNDS = Number(process.env.ROUNDS ?? 7);

const EXAMPLES = `
@id("allow-by-default") permit (principal, action, resource);
@id("file-write-under-tmp-agent") forbid (principal, action == Action::"file.write", resource)
unless { context.args.path like "/tmp/agent/*" && !(context.args.path like "*..*") };
@id("payments-over-1000-eur") @approvers("2") permit (principal, action == Action::"payments.transfer", resource)
when { context.args.currency == "EUR" && context.args.amount.greaterThan(decimal("1000.0")) };
@id("shell-office-hours") forbid (principal, action == Action::"shell.exec", resource)
unless { context.time.weekday >= 1 && context.time.weekday <= 5 && context.time.hour >= 9 && context.time.hour < 18 };
@id("fs-write-file-in-scratch") forbid (principal, action == Action::"fs.write_file", resource in Upstream::"fs")
unless { context.args.path like "/srv/scratch/*" };
@id("fs-writes-admins-only") forbid (principal, action, resource in Upstream::"fs") when { !resource.annotations.readOnly } unless { principal.role == "admin" };
`;

/** 94 more rules of the kinds operators write: per user, per path, per amount, per time, per upstream. */
function morePolicies(): string {
  const rules: string[] = [];
  for (let i = 0; rules.length < 94; i += 1) {
    const kind = i % 5;
    if (kind === 0) rules.push(`@id("user-${i}-no-shell") forbid (principal == User::"user-${i}", action == Action::"shell.exec", resource);`);
    if (kind === 1) rules.push(`@id("path-${i}") forbid (principal, action == Action::"file.write", resource) when { context.args.path like "/srv/secret-${i}/*" };`);
    if (kind === 2) rules.push(`@id("amount-${i}") @approvers("3") permit (principal, action == Action::"payments.transfer", resource) when { context.args.to == "vendor-${i}" && context.args.amount.greaterThan(decimal("${10_000 + i}.0")) };`);
    if (kind === 3) rules.push(`@id("night-${i}") forbid (principal in Group::"contractors-${i}", action, resource) when { context.time.hour < 7 || context.time.hour > 20 };`);
    if (kind === 4) rules.push(`@id("upstream-${i}") forbid (principal, action, resource in Upstream::"up-${i}") unless { principal.role == "admin" || context.client == "mcp" };`);
  }
  return rules.join('\n');
}

const POLICIES = `${EXAMPLES}\n${morePolicies()}`;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number;
}

function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
}

function gatewayWith(policy: ReturnType<typeof cedarPolicies> | undefined): Gateway {
  const gateway = new Gateway({ logger: silentLogger, rateLimits: { global: { perMinute: 0 }, perToken: { agent: { perMinute: 0 } } }, ...(policy === undefined ? {} : { policy }) });
  const echo = async (args: unknown) => args;
  gateway.registerTool({ name: 'file.write', description: 'write', args: z.object({ path: z.string(), content: z.string() }), run: echo });
  gateway.registerTool({ name: 'payments.transfer', description: 'pay', args: z.object({ amount: z.number(), currency: z.enum(['EUR', 'USD']), to: z.string() }), run: echo });
  gateway.registerTool({ name: 'shell.exec', description: 'run', args: z.object({ command: z.string() }), run: echo });
  gateway.registerTool({ name: 'fs.write_file', description: 'fs', inputSchema: { type: 'object', properties: { path: { type: 'string' }, content: { type: 'string' } }, required: ['path', 'content'] }, upstream: 'fs', run: echo });
  gateway.registerTool({ name: 'fs.read_file', description: 'fs', inputSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] }, upstream: 'fs', hints: { readOnly: true }, run: echo });
  return gateway;
}

// A Monday at 10:00 UTC: the time rules let shell.exec through.
const engine = cedarPolicies({ text: POLICIES, now: () => Date.parse('2026-11-30T10:00:00Z') });
const withPolicies = gatewayWith(engine);
const loadStarted = performance.now();
const info = await withPolicies.policies.start();
const firstLoadMs = performance.now() - loadStarted;
const reloads: number[] = [];
for (let i = 0; i < 20; i += 1) {
  const started = performance.now();
  await engine.loadText(POLICIES);
  reloads.push(performance.now() - started);
}

const callers: Caller[] = Array.from({ length: 20 }, (_, i) => ({ kind: 'user', id: `user-${i}`, role: i === 0 ? 'admin' : 'agent' }));
const tool = (name: string) => policyToolOf(withPolicies.tools.get(name)!);
const calls: Array<Omit<PolicyRequest, 'caller'>> = [
  { tool: tool('file.write'), args: { path: '/tmp/agent/notes.txt', content: 'x' }, client: 'http' },
  { tool: tool('file.write'), args: { path: '/etc/passwd', content: 'x' }, client: 'http' },
  { tool: tool('payments.transfer'), args: { amount: 250, currency: 'EUR', to: 'vendor-7' }, client: 'http' },
  { tool: tool('payments.transfer'), args: { amount: 2500.5, currency: 'EUR', to: 'vendor-7' }, client: 'mcp' },
  { tool: tool('shell.exec'), args: { command: 'ls' }, client: 'http' },
  { tool: tool('fs.read_file'), args: { path: '/srv/scratch/a' }, client: 'mcp' },
  { tool: tool('fs.write_file'), args: { path: '/srv/scratch/a', content: 'x' }, client: 'mcp' },
];
const requests: PolicyRequest[] = [];
for (let i = 0; i < 140; i += 1) requests.push({ ...calls[i % calls.length]!, caller: callers[i % callers.length]! });

const effects = new Map<string, number>();
for (const request of requests) {
  const effect = engine.decide(request).effect;
  effects.set(effect, (effects.get(effect) ?? 0) + 1);
}
for (let i = 0; i < 5_000; i += 1) engine.decide(requests[i % requests.length]!);
const samples = new Float64Array(SAMPLES);
for (let i = 0; i < SAMPLES; i += 1) {
  const request = requests[i % requests.length]!;
  const started = performance.now();
  engine.decide(request);
  samples[i] = performance.now() - started;
}
const sorted = [...samples].sort((a, b) => a - b);

// Where a decision's time goes: Cedar's own call, given a prepared request, against the whole set and
// against one policy (the fixed cost of crossing into the WebAssembly module), the same request each time.
const cedar = await import('@cedar-policy/cedar-wasm/nodejs');
const wholeSet: Record<string, string> = {};
for (const part of (cedar.policySetTextToParts(POLICIES) as { policies: string[] }).policies) wholeSet[`p${Object.keys(wholeSet).length}`] = part;
cedar.preparsePolicySet('bench:all', { staticPolicies: wholeSet });
cedar.preparsePolicySet('bench:one', { staticPolicies: { p: 'permit (principal, action, resource);' } });
const prepared = (id: string) => ({
  principal: { type: 'User', id: 'user-3' },
  action: { type: 'Action', id: 'file.write' },
  resource: { type: 'Tool', id: 'file.write' },
  context: { args: { path: '/tmp/agent/notes.txt', content: 'x' }, origin: '', client: 'http', time: { epoch: 1_796_032_800, date: '2026-11-30', hour: 10, minute: 0, weekday: 1 } },
  entities: [
    { uid: { type: 'User', id: 'user-3' }, attrs: { kind: 'user', role: 'agent', groups: [] }, parents: [{ type: 'Role', id: 'agent' }] },
    { uid: { type: 'Tool', id: 'file.write' }, attrs: { name: 'file.write', upstream: '', tags: [], annotations: { readOnly: false, idempotent: false, openWorld: false } }, parents: [] },
  ],
  preparsedPolicySetId: id,
});
const cedarCall = (id: string): number => {
  const call = prepared(id) as never;
  for (let i = 0; i < 2_000; i += 1) cedar.statefulIsAuthorized(call);
  const times: number[] = [];
  for (let i = 0; i < 10_000; i += 1) {
    const started = performance.now();
    cedar.statefulIsAuthorized(call);
    times.push(performance.now() - started);
  }
  return percentile(times.sort((x, y) => x - y), 0.5);
};
const cedarAll = cedarCall('bench:all');
const cedarOne = cedarCall('bench:one');
const fileWrite = requests.find((request) => request.tool.name === 'file.write' && (request.args as { path: string }).path.startsWith('/tmp'))!;
const decideTimes: number[] = [];
for (let i = 0; i < 10_000; i += 1) {
  const started = performance.now();
  engine.decide(fileWrite);
  decideTimes.push(performance.now() - started);
}
const decideFileWrite = percentile(decideTimes.sort((x, y) => x - y), 0.5);

const without = gatewayWith(undefined);
const allowed = { tool: 'file.write', args: { path: '/tmp/agent/notes.txt', content: 'x' } };
const caller: Caller = { kind: 'system', id: 'bench' };
const round = async (gateway: Gateway): Promise<number> => {
  const started = performance.now();
  for (let i = 0; i < CALLS; i += 1) await gateway.callTool(allowed, { caller });
  return ((performance.now() - started) * 1000) / CALLS;
};
const rounds: { with: number[]; without: number[] } = { with: [], without: [] };
for (let r = -1; r < ROUNDS; r += 1) {
  const a = await round(without);
  const b = await round(withPolicies);
  if (r >= 0) {
    rounds.without.push(a);
    rounds.with.push(b);
  }
}
const callWithout = median(rounds.without);
const callWith = median(rounds.with);

const ms = (value: number) => `${value.toFixed(4)} ms`;
console.log(`policy set: ${info.policies} policies, ${requests.length} distinct requests, effects of one pass ${JSON.stringify(Object.fromEntries(effects))}`);
console.log(`load: first ${firstLoadMs.toFixed(1)} ms (WebAssembly module included), reload median ${median(reloads).toFixed(2)} ms`);
console.log(`decision (${SAMPLES} samples): p50 ${ms(percentile(sorted, 0.5))}, p99 ${ms(percentile(sorted, 0.99))}, p99.9 ${ms(percentile(sorted, 0.999))}, max ${ms(sorted.at(-1) ?? 0)}`);
console.log(`one allowed file.write, p50: engine.decide ${ms(decideFileWrite)}; Cedar's call alone with the request prepared: all 100 policies ${ms(cedarAll)}, one policy ${ms(cedarOne)}`);
console.log(`callTool, allowed call, median of ${ROUNDS} rounds of ${CALLS}: without policies ${callWithout.toFixed(1)} µs, with ${callWith.toFixed(1)} µs (+${(((callWith - callWithout) / callWithout) * 100).toFixed(1)}%)`);
await withPolicies.close();
await without.close();
