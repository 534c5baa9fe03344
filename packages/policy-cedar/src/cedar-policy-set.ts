import { createHash } from 'node:crypto';
import { InvalidPolicyError, type PolicySetInfo, type PolicyTool } from '@agent-gateway/core';
import { cedarSchemaOf } from './cedar-schema.js';

/** The Cedar WebAssembly module (its Node.js build), loaded on first use. */
export type CedarModule = typeof import('@cedar-policy/cedar-wasm/nodejs');

/** The most approvers `@approvers` may ask for (the approval queue's own limit). */
const MAX_APPROVERS = 10;

/** A loaded set: the id it is preparsed under in the module, and each policy's quorum. */
export interface CompiledSet {
  /** The id the set is preparsed under (`statefulIsAuthorized`). */
  readonly cacheId: string;
  readonly text: string;
  readonly info: PolicySetInfo;
  /** The quorum of each permit policy that asks for approval (`@approvers("2")`). */
  readonly approvers: ReadonlyMap<string, number>;
}

type Issue = { path: string; message: string };

function messageOf(error: { message: string; help?: string | null }): string {
  return error.help === null || error.help === undefined ? error.message : `${error.message} (${error.help})`;
}

function refuse(message: string, found: Issue[]): never {
  // The validator may report one problem more than once.
  const issues = [...new Map(found.map((issue) => [`${issue.path}\n${issue.message}`, issue])).values()];
  throw new InvalidPolicyError(`${message}: ${issues.map((issue) => (issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`)).join('; ')}`, issues);
}

/** Each policy's id (its `@id` annotation, else `policy<N>` by position) and quorum; bad annotations refused. */
function policiesOf(cedar: CedarModule, text: string): { policies: Record<string, string>; approvers: Map<string, number> } {
  const parts = cedar.policySetTextToParts(text);
  if (parts.type === 'failure') refuse('the policy set does not parse', parts.errors.map((error) => ({ path: '', message: messageOf(error) })));
  if (parts.policy_templates.length > 0) refuse('the policy set is refused', [{ path: '', message: 'templates are not supported; write static policies' }]);
  const policies: Record<string, string> = {};
  const approvers = new Map<string, number>();
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
    const quorum = annotations.approvers;
    if (quorum === undefined) return;
    const count = /^\d{1,2}$/.test(quorum) ? Number(quorum) : Number.NaN;
    if (json.json.effect !== 'permit') issues.push({ path: id, message: '@approvers belongs on a permit policy (a forbid denies)' });
    else if (!(count >= 1 && count <= MAX_APPROVERS)) issues.push({ path: id, message: `@approvers must be a whole number 1..${MAX_APPROVERS}, got ${JSON.stringify(quorum)}` });
    else approvers.set(id, count);
  });
  if (issues.length > 0) refuse('the policy set is refused', issues);
  return { policies, approvers };
}

/**
 * Parses `text`, checks its annotations, validates it against the schema of `tools` (strict mode) and
 * preparses it under `cacheId`. Throws `InvalidPolicyError` naming every problem by policy id; nothing
 * changes in the module then (the set serving under another id stays as it was).
 */
export function compilePolicySet(cedar: CedarModule, text: string, tools: readonly PolicyTool[], cacheId: string, now: Date): CompiledSet {
  const { policies, approvers } = policiesOf(cedar, text);
  const validation = cedar.validate({ schema: cedarSchemaOf(tools) as never, policies: { staticPolicies: policies } });
  if (validation.type === 'failure') refuse('the policy set cannot be validated', validation.errors.map((error) => ({ path: '', message: messageOf(error) })));
  if (validation.validationErrors.length > 0) {
    refuse(
      'the policy set does not validate against the schema',
      validation.validationErrors.map((error) => ({ path: error.policyId, message: messageOf(error.error) })),
    );
  }
  const parsed = cedar.preparsePolicySet(cacheId, { staticPolicies: policies });
  if (parsed.type === 'failure') refuse('the policy set does not parse', parsed.errors.map((error) => ({ path: '', message: messageOf(error) })));
  return {
    cacheId,
    text,
    approvers,
    info: { policies: Object.keys(policies).length, digest: createHash('sha256').update(text).digest('hex'), loadedAt: now.toISOString() },
  };
}
