import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';

const fromRoot = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

/**
 * Tests import the packages' sources, not their builds, so a test run sees the code as it is now
 * and every package shares one copy of core (one `GatewayError` class for `instanceof`). The
 * release tier (below) exercises the built `dist/` on purpose.
 */
const alias = {
  // Before the package itself: a key also matches the paths beneath it.
  '@agent-gateway/core/http': fromRoot('./packages/core/src/http/public.ts'),
  '@agent-gateway/core': fromRoot('./packages/core/src/index.ts'),
  '@agent-gateway/sandbox': fromRoot('./packages/sandbox/src/index.ts'),
  '@agent-gateway/vault': fromRoot('./packages/vault/src/index.ts'),
  '@agent-gateway/policy-cedar': fromRoot('./packages/policy-cedar/src/index.ts'),
  '@agent-gateway/redis': fromRoot('./packages/redis/src/index.ts'),
  '@agent-gateway/express': fromRoot('./packages/adapter-express/src/index.ts'),
  '@agent-gateway/fastify': fromRoot('./packages/adapter-fastify/src/index.ts'),
  '@agent-gateway/conformance': fromRoot('./packages/conformance/src/index.ts'),
  '@agent-gateway/mcp': fromRoot('./packages/mcp/src/index.ts'),
  '@agent-gateway/console': fromRoot('./packages/console/src/index.ts'),
  '@agent-gateway/server': fromRoot('./packages/server/src/index.ts'),
};

/**
 * Two tiers of one suite. `npm test`, the developer loop, runs every unit, conformance and
 * in-process integration test, Redis and the browser included, against the sources. The release tier
 * (`npm run test:release`) runs what a user of the built packages meets: the example servers and the
 * CLI started as child processes from `dist/` (`*.smoke.test.ts`), host projects compiled against the
 * packed tarballs (`test/packaging/`), and the docs (snippets typechecked, TypeDoc). It is minutes of
 * compiling and process start-up that only packaging changes move, so it is not in the loop; CI runs both.
 */
const RELEASE_SUITES = ['test/**/*.smoke.test.ts', 'test/packaging/**/*.test.ts'];
const releaseTier = process.env.AGENT_GATEWAY_TEST_TIER === 'release';

const project = (name: string, root: string) => ({
  extends: true as const,
  test: {
    name,
    root: fromRoot(root),
    include: releaseTier ? RELEASE_SUITES : ['test/**/*.test.ts'],
    exclude: releaseTier ? configDefaults.exclude : [...configDefaults.exclude, ...RELEASE_SUITES],
  },
});

/** A project that belongs to the release tier whole. */
const releaseProjects = (...projects: ReturnType<typeof project>[]) =>
  releaseTier ? projects.map((entry) => ({ ...entry, test: { ...entry.test, include: ['test/**/*.test.ts'] } })) : [];

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      project('core', './packages/core'),
      project('sandbox', './packages/sandbox'),
      project('vault', './packages/vault'),
      project('policy-cedar', './packages/policy-cedar'),
      project('redis', './packages/redis'),
      project('express', './packages/adapter-express'),
      project('fastify', './packages/adapter-fastify'),
      project('mcp', './packages/mcp'),
      // Its browser suite drives the machine's Chromium (skipped, saying why, without it) against the built page.
      project('console', './packages/console'),
      project('server', './packages/server'),
      project('demo-tools', './examples/demo-tools'),
      project('express-server', './examples/express-server'),
      project('fastify-server', './examples/fastify-server'),
      project('embed-in-existing-app', './examples/embed-in-existing-app'),
      project('test-harness', './examples/test-harness'),
      project('python-worker', './examples/python-worker'),
      project('mcp-proxy', './examples/mcp-proxy'),
      // The documentation: every snippet of README.md, docs/ and the packages' READMEs compiles (test/docs).
      ...releaseProjects(project('docs', '.')),
    ],
    // Vitest's default is one worker per core less one: a single worker on a 2-core machine, idle while
    // a test waits on a child process, a socket or a timer, as most of these do. Two per core keeps
    // both cores busy (AGENT_GATEWAY_TEST_WORKERS overrides it).
    // The release tier's suites start several processes each: one per core there.
    maxWorkers: Number(process.env.AGENT_GATEWAY_TEST_WORKERS ?? (releaseTier ? availableParallelism() : Math.max(2, 2 * availableParallelism()))),
    testTimeout: 20_000,
    hookTimeout: 30_000,
    passWithNoTests: false,
  },
});
