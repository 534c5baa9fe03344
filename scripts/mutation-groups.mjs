/**
 * What `npm run test:mutation` mutates, in groups, and the tests each group's mutants are run
 * against (see stryker.config.mjs for why by group). Read by stryker.config.mjs,
 * vitest.mutation.config.ts and the scripts that run the groups and report their scores. A test file
 * pattern starting with `!` leaves those files out.
 *
 * @type {Record<string, { mutate: string[]; testFiles: string[] }>}
 */
export const GROUPS = {
  auth: {
    mutate: ['packages/core/src/auth/**/*.ts', '!**/index.ts'],
    testFiles: ['packages/core/test/auth/**/*.test.ts'],
  },
  audit: {
    // Not the offline CLI's tests (their own group) nor the descriptor-leak test of the whole gateway:
    // both open an AuditLog in a beforeAll, which makes every mutant of the log's writer "static" (run
    // against every test of the group, the CLI's child processes included): hours instead of minutes.
    mutate: ['packages/core/src/audit/**/*.ts', '!**/index.ts', '!packages/core/src/audit/verify-command.ts'],
    testFiles: ['packages/core/test/audit/*.test.ts', '!packages/core/test/audit/cli.test.ts', '!packages/core/test/audit/descriptors.test.ts'],
  },
  'audit-cli': {
    mutate: ['packages/core/src/audit/verify-command.ts'],
    testFiles: ['packages/core/test/audit/cli.test.ts'],
  },
  approvals: {
    mutate: ['packages/core/src/approvals/**/*.ts', '!**/index.ts'],
    testFiles: ['packages/core/test/approvals/**/*.test.ts'],
  },
  redaction: {
    mutate: ['packages/core/src/redaction/**/*.ts', 'packages/core/src/secrets/scoped-secrets.ts', '!**/index.ts'],
    testFiles: ['packages/core/test/redaction/**/*.test.ts', 'packages/core/test/guards/redaction.test.ts', 'packages/core/test/secrets.test.ts'],
  },
  guards: {
    // With the time limit the content filter's and the tool schemas' regexes run under.
    mutate: ['packages/core/src/guards/**/*.ts', 'packages/core/src/regex/**/*.ts', '!**/index.ts'],
    testFiles: ['packages/core/test/guards/**/*.test.ts', 'packages/core/test/regex/**/*.test.ts'],
  },
  sandbox: {
    // The pool's failure handling (a call's failure, releasing and refilling slots, crashes and
    // restarts) and the queue of calls waiting for a worker. With the tests of its start options'
    // bounds and of the trace context it hands workers, which hold those lines of the pool too.
    mutate: ['packages/sandbox/src/sandbox-pool.ts', 'packages/sandbox/src/wait-queue.ts'],
    testFiles: [
      'packages/sandbox/test/sandbox-pool.test.ts',
      'packages/sandbox/test/sandbox-pool-lifecycle.test.ts',
      'packages/sandbox/test/sandbox-pool-edges.test.ts',
      'packages/sandbox/test/sandbox-pool-spans.test.ts',
      'packages/sandbox/test/wait-queue.test.ts',
      'packages/sandbox/test/hung-worker.test.ts',
      'packages/sandbox/test/timer-bounds.test.ts',
      'packages/sandbox/test/worker-trace.test.ts',
    ],
  },
  mcp: {
    // The MCP endpoint's auth path: DNS-rebinding refusal, the bearer token, the 401 challenge (the
    // lines of serve() before the request reaches the SDK), not the protocol behind it.
    mutate: ['packages/mcp/src/endpoint.ts:46-56', 'packages/mcp/src/host-guard.ts', 'packages/mcp/src/resource-metadata.ts'],
    testFiles: ['packages/mcp/test/auth.test.ts', 'packages/mcp/test/auth-guards.test.ts', 'packages/mcp/test/oidc.test.ts'],
  },
};

/** The group named by MUTATION_GROUP. */
export function selectedGroup() {
  const name = process.env.MUTATION_GROUP ?? '';
  const group = GROUPS[name];
  if (group === undefined) throw new Error(`set MUTATION_GROUP to one of ${Object.keys(GROUPS).join(', ')} (got ${JSON.stringify(name)}); npm run test:mutation runs them all`);
  return { name, ...group };
}
