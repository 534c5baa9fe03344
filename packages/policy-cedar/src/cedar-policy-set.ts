import { createHash } from 'node:crypto';
import { InvalidPolicyError, type PolicyDecision, type PolicySetInfo, type PolicyTool } from '@agent-gateway/core';
import type { PolicyJson } from '@cedar-policy/cedar-wasm/nodejs';
import { cedarSchemaOf } from './cedar-schema.js';

/** The Cedar WebAssembly module (its Node.js build), loaded on first use. */
export type CedarModule = typeof import('@cedar-policy/cedar-wasm/nodejs');

/** The most approvers `@approvers` may ask for (the approval queue's own limit). */
const MAX_APPROVERS = 10;

/** A loaded set: the ids it is preparsed under in the module, and each policy's quorum. */
export interface CompiledSet {
  /** The id the whole set is preparsed under (`statefulIsAuthorized`), for a tool not known at load. */
  readonly cacheId: string;
  /**
   * Per tool, the id of the part of the set whose scope can match that tool (its action and resource
   * constraints): Cedar evaluates every policy it is given, so each call is given only those.
   */
  readonly cacheIdOf: ReadonlyMap<string, string>;
  /**
   * Per tool, the decision when it does not depend on the call: no policy in scope (deny), or only
   * permits without conditions that match every caller (allow, or approve). Cedar is not asked then.
   */
  readonly fixedOf: ReadonlyMap<string, PolicyDecision>;
  readonly text: string;
  readonly info: PolicySetInfo;
  /** The quorum of each permit policy that asks for approval (`@approvers("2")`). */
  readonly approvers: ReadonlyMap<string, number>;
}

type Issue = { path: string; message: string };

type Scope = PolicyJson['action'] | PolicyJson['resource'];
type Uid = { type: string; id: string };

function uidOf(entity: { __entity: Uid } | Uid): Uid {
  return '__entity' in entity ? entity.__entity : entity;
}

/**
 * Whether a policy's action and resource scope can match a call of `tool`. Only the tool's own action
 * and the `Tool in Upstream` hierarchy exist, so this is exact; a form it does not know is kept.
 */
function inScope(action: Scope, resource: Scope, tool: PolicyTool): boolean {
  const actionOk =
    action.op === 'All' ||
    ((action.op === '==' || action.op === 'in') && 'entity' in action && uidOf(action.entity).id === tool.name) ||
    (action.op === 'in' && 'entities' in action && action.entities.some((entity) => uidOf(entity).id === tool.name)) ||
    (action.op !== '==' && action.op !== 'in');
  if (!actionOk) return false;
  if (resource.op === 'All' || !('entity' in resource)) return resource.op !== 'is' || !('entity_type' in resource) || resource.entity_type === 'Tool';
  const target = uidOf(resource.entity);
  if (resource.op === '==') return target.type === 'Tool' && target.id === tool.name;
  if (resource.op === 'in') return (target.type === 'Tool' && target.id === tool.name) || (target.type === 'Upstream' && target.id === tool.upstream);
  return true;
}

function messageOf(error: { message: string; help?: string | null }): string {
  return error.help === null || error.help === undefined ? error.message : `${error.message} (${error.help})`;
}

function refuse(message: string, found: Issue[]): never {
  // The validator may report one problem more than once.
  const issues = [...new Map(found.map((issue) => [`${issue.path}\n${issue.message}`, issue])).values()];
  throw new InvalidPolicyError(`${message}: ${issues.map((issue) => (issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`)).join('; ')}`, issues);
}

/** Each policy's id (its `@id` annotation, else `policy<N>` by position) and quorum; bad annotations refused. */
/** A permit that holds for every call in its scope: any caller, no condition, a scope `inScope` reads exactly. */
function unconditional(json: PolicyJson): boolean {
  const { action, resource } = json;
  const exactAction = action.op === 'All' || ((action.op === '==' || action.op === 'in') && ('entity' in action || 'entities' in action));
  const exactResource = resource.op === 'All' || ((resource.op === '==' || resource.op === 'in') && 'entity' in resource);
  return json.effect === 'permit' && json.principal.op === 'All' && json.conditions.length === 0 && exactAction && exactResource;
}

/** The decision for a tool whose in-scope policies are `ids`, when it is the same for every call. */
function fixedDecision(ids: readonly string[], always: ReadonlySet<string>, approvers: ReadonlyMap<string, number>): PolicyDecision | undefined {
  if (ids.length === 0) return { effect: 'deny', policies: [], reason: 'no policy permits it' };
  if (!ids.every((id) => always.has(id))) return undefined;
  const policies = [...ids].sort();
  const quorum = Math.max(0, ...ids.map((id) => approvers.get(id) ?? 0));
  return quorum > 0 ? { effect: 'approve', approvers: quorum, policies } : { effect: 'allow', policies };
}

function policiesOf(cedar: CedarModule, text: string): { policies: Record<string, string>; approvers: Map<string, number>; scopes: Map<string, [Scope, Scope]>; always: Set<string> } {
  const parts = cedar.policySetTextToParts(text);
  if (parts.type === 'failure') refuse('the policy set does not parse', parts.errors.map((error) => ({ path: '', message: messageOf(error) })));
  if (parts.policy_templates.length > 0) refuse('the policy set is refused', [{ path: '', message: 'templates are not supported; write static policies' }]);
  const policies: Record<string, string> = {};
  const approvers = new Map<string, number>();
  const scopes = new Map<string, [Scope, Scope]>();
  const always = new Set<string>();
  const issues: Issue[] = [];
  parts.policies.forEach((policy, index) => {
    const json = cedar.policyToJson(policy);
    if (json.type === 'failure') {
      issues.push({ path: `policy${index}`, message: json.errors.map(messageOf).join('; ') });
      return;
    }
    const annotations = json.json.annotations ?? {};
    const id = annotations.id ?? `policy${index}`;
    if (id === '' || Object.hasOwn(policies, id)) issues.push({ path: id, message: id === '' ? 'an empty @id' : 'the @id is used twice' });
    policies[id] = policy;
    scopes.set(id, [json.json.action, json.json.resource]);
    if (unconditional(json.json)) always.add(id);
    const quorum = annotations.approvers;
    if (quorum === undefined) return;
    const count = /^\d{1,2}$/.test(quorum) ? Number(quorum) : Number.NaN;
    if (json.json.effect !== 'permit') issues.push({ path: id, message: '@approvers belongs on a permit policy (a forbid denies)' });
    else if (!(count >= 1 && count <= MAX_APPROVERS)) issues.push({ path: id, message: `@approvers must be a whole number 1..${MAX_APPROVERS}, got ${JSON.stringify(quorum)}` });
    else approvers.set(id, count);
  });
  if (issues.length > 0) refuse('the policy set is refused', issues);
  return { policies, approvers, scopes, always };
}

/**
 * Parses `text`, checks its annotations, validates it against the schema of `tools` (strict mode) and
 * preparses it under `cacheId`. Throws `InvalidPolicyError` naming every problem by policy id; nothing
 * changes in the module then (the set serving under another id stays as it was).
 */
export function compilePolicySet(cedar: CedarModule, text: string, tools: readonly PolicyTool[], cacheId: string, now: Date): CompiledSet {
  const { policies, approvers, scopes, always } = policiesOf(cedar, text);
  const validation = cedar.validate({ schema: cedarSchemaOf(tools), policies: { staticPolicies: policies } });
  if (validation.type === 'failure') refuse('the policy set cannot be validated', validation.errors.map((error) => ({ path: '', message: messageOf(error) })));
  if (validation.validationErrors.length > 0) {
    refuse(
      'the policy set does not validate against the schema',
      validation.validationErrors.map((error) => ({ path: error.policyId, message: messageOf(error.error) })),
    );
  }
  const parsed = cedar.preparsePolicySet(cacheId, { staticPolicies: policies });
  if (parsed.type === 'failure') refuse('the policy set does not parse', parsed.errors.map((error) => ({ path: '', message: messageOf(error) })));
  // One preparsed part per distinct subset: tools that no policy names share the part of the unscoped ones.
  const cacheIdOf = new Map<string, string>();
  const fixedOf = new Map<string, PolicyDecision>();
  const parts = new Map<string, string>();
  for (const tool of tools) {
    const ids = Object.keys(policies).filter((id) => {
      const scope = scopes.get(id);
      return scope === undefined || inScope(scope[0], scope[1], tool);
    });
    const key = ids.join('\n');
    let partId = parts.get(key);
    if (partId === undefined) {
      partId = `${cacheId}:${parts.size}`;
      const part = cedar.preparsePolicySet(partId, { staticPolicies: Object.fromEntries(ids.map((id) => [id, policies[id] as string])) });
      if (part.type === 'failure') refuse('the policy set does not parse', part.errors.map((error) => ({ path: '', message: messageOf(error) })));
      parts.set(key, partId);
    }
    cacheIdOf.set(tool.name, partId);
    const fixed = fixedDecision(ids, always, approvers);
    if (fixed !== undefined) fixedOf.set(tool.name, fixed);
  }
  return {
    cacheId,
    cacheIdOf,
    fixedOf,
    text,
    approvers,
    info: { policies: Object.keys(policies).length, digest: createHash('sha256').update(text).digest('hex'), loadedAt: now.toISOString() },
  };
}
