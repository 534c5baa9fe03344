import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const operations = readFileSync(resolve(__dirname, '../../docs/operations.md'), 'utf8');

/**
 * What the operator runbook of the earlier Python service named, copied from it: an operator who knew
 * that runbook must find each of these in docs/operations.md. (Core's docs-tables test holds the
 * page's metric table, and docs/configuration.md's variable table, to the code.)
 */
const RUNBOOK = {
  routes: [
    'GET /health', 'GET /health/worker', 'GET /metrics', 'POST /admin/login', 'GET /admin/audit', 'POST /admin/refresh',
    'POST /admin/revoke', 'GET /approvals', 'POST /approvals/{id}/approve', 'POST /approvals/{id}/reject',
    'GET /approvals/stream', 'POST /tab/redaction-rules', 'GET /tab/redaction-rules?origin=', 'GET /admin/audit?tail=500',
  ],
  variables: [
    'AGENT_GATEWAY_ADMIN_USER', 'AGENT_GATEWAY_ADMIN_PASS', 'AGENT_GATEWAY_ACCESS_EXPIRE', 'AGENT_GATEWAY_REFRESH_EXPIRE',
    'SANDBOX_WORKER_PATH', 'SANDBOX_POOL_SIZE', 'SANDBOX_WORKER_TIMEOUT', 'SANDBOX_DOCKER_IMAGE',
    'VAULT_ADDR', 'VAULT_TOKEN', 'VAULT_KV_MOUNT', 'VAULT_KV_PREFIX',
  ],
  sections: [
    '## 1. Starting the gateway', '## 2. Health checks', '## 3. Admin authentication', '## 4. Managing approvals',
    '## 5. Redaction rules', '## 6. Incident response', '### Worker process crashed', '### Suspicious tool call',
    '### Token compromise', '## 7. Metrics reference', '## 8. Log retention',
  ],
  // What the Python runbook did, and what does it here.
  equivalents: ['--reload', 'npm run dev', '--workers 4', 'WORKERS=4', 'create_user', 'WorkerProcess.restart', 'SandboxError', 'tail -n 10000'],
};

/** The `curl` commands of the page as `METHOD /path?query`, with `<id>` placeholders read as `{id}`. */
const curls = operations
  .split('\n')
  .filter((line) => line.includes('curl '))
  .flatMap((line) => {
    const url = /http:\/\/localhost:8080(\/[^\s'"]*)/.exec(line)?.[1];
    const method = /-X (\w+)/.exec(line)?.[1] ?? 'GET';
    return url === undefined ? [] : [`${method} ${url.replaceAll('<id>', '{id}')}`];
  });

/** A route is shown when a curl calls it: exactly, or with the query's value filled in (`?origin=`). */
const shown = (route: string): boolean => curls.some((curl) => curl === route || (route.endsWith('=') && curl.startsWith(route)));

describe('the operations runbook (docs/operations.md)', () => {
  it('shows a command for every route of the old runbook', () => {
    expect(RUNBOOK.routes.filter((route) => !shown(route))).toEqual([]);
  });

  it('names every variable of the old runbook', () => {
    expect(RUNBOOK.variables.filter((name) => !operations.includes(`\`${name}\``))).toEqual([]);
  });

  it('keeps the old runbook\'s sections and procedures, and says what replaced its Python commands', () => {
    expect(RUNBOOK.sections.filter((heading) => !operations.split('\n').includes(heading))).toEqual([]);
    expect(RUNBOOK.equivalents.filter((text) => !operations.includes(text))).toEqual([]);
  });
});
