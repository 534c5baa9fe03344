import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { digestOf } from '../../src/approvals/approval.js';
import { canonicalJson, canonicalJsonBySorting } from '../../src/audit/canonical-json.js';
import { AuditLog } from '../../src/index.js';

// An own `__proto__` key is what JSON.parse makes of `{"__proto__": …}`. The HTTP and MCP endpoints refuse
// such a body (400); an embedder calling gateway.callTool() in-process with parsed JSON does not. Copied into a
// `{}` by assignment it sets the copy's prototype instead of a field, and drops out of the text: it was
// missing from canonical JSON, so from the audit entry and its hash and from an approval's digest, while
// the tool still received it (found next to the same defect in redaction, issue 24).

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const withProto = (mode: string): Record<string, unknown> => JSON.parse(`{"path":"/etc/app.conf","__proto__":{"mode":"${mode}"}}`) as Record<string, unknown>;

describe('an own __proto__ key', () => {
  it('is written by canonical JSON as the field it is, in its sorted place, by both writers', () => {
    const value = withProto('0600');
    expect(canonicalJson(value)).toBe('{"__proto__":{"mode":"0600"},"path":"/etc/app.conf"}');
    expect(canonicalJsonBySorting(value)).toBe(canonicalJson(value));
    expect(canonicalJson({ nested: [value] })).toBe('{"nested":[{"__proto__":{"mode":"0600"},"path":"/etc/app.conf"}]}');
    // Already in order, the engine's serialiser writes it; out of order, the hand-written path does.
    const inOrder = JSON.parse('{"__proto__":{"a":1},"b":2}') as unknown;
    expect(canonicalJson(inOrder)).toBe('{"__proto__":{"a":1},"b":2}');
    expect(canonicalJsonBySorting(inOrder)).toBe(canonicalJson(inOrder));
  });

  it("is bound by an approval's digest: arguments that differ only there have different digests", () => {
    expect(digestOf('file.write', withProto('0600'))).not.toBe(digestOf('file.write', withProto('0777')));
  });

  it('reaches the audit file, is read back as a field, and the chain verifies', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'audit-proto-'));
    dirs.push(dir);
    const log = await AuditLog.open(join(dir, 'audit.log'));
    await log.append('tool_call', { type: 'user', user: 'alice' }, { args: withProto('0777') });
    await log.append('tool_call', { type: 'user', user: 'alice' }, { args: {} });
    expect(await readFile(log.path, 'utf8')).toContain('"args":{"__proto__":{"mode":"0777"},"path":"/etc/app.conf"}');
    const [entry] = await log.tail(2);
    const args = entry?.details.args as Record<string, unknown>;
    expect(Object.hasOwn(args, '__proto__')).toBe(true);
    expect(await log.verify()).toMatchObject({ ok: true, last_seq: 2 });
    await log.close();
  });
});
