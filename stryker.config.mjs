/**
 * Mutation testing of the security core: `npm run test:mutation` (scripts/mutation-test.mjs), not
 * part of `npm test`. TESTING.md says what is mutated, the scores, and the survivors left on purpose.
 *
 * The core is mutated in groups, each against the tests written for it. A mutant in a module constant
 * or in code a `beforeAll` runs is "static": it is tested against every test there is, with the module
 * loaded afresh. Against the whole repository that is minutes per mutant; against its group's tests,
 * seconds. The group's tests are chosen by vitest.mutation.config.ts (its `include`), not by Stryker's
 * `testFiles`: with `testFiles`, Stryker 9.6 switches a static mutant on only after its module has
 * loaded, so every static mutant survives (stryker-js issue 6144).
 *
 * One group per run, named by MUTATION_GROUP. Concurrency 1: on a 2-core machine a run leaves a core
 * free. Incremental: only mutants whose code or covering tests changed since the group's last run
 * are tested again.
 */
import { selectedGroup } from './scripts/mutation-groups.mjs';

const { name, mutate } = selectedGroup();

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'vitest.mutation.config.ts', related: true },
  coverageAnalysis: 'perTest',
  concurrency: 1,
  mutate,
  ignorePatterns: ['**/dist/**', 'reports', 'coverage', 'agent-gateway', '.tmp', '.stryker-tmp'],
  incremental: true,
  incrementalFile: `reports/mutation/${name}.incremental.json`,
  reporters: ['clear-text', 'progress-append-only', 'json', 'html'],
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  htmlReporter: { fileName: `reports/mutation/${name}.html` },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  thresholds: { high: 95, low: 85, break: 85 },
  timeoutMS: 10_000,
  // One folder per group, so two groups can run at once without one cleaning up the other's sandbox.
  tempDirName: `.stryker-tmp/${name}`,
  cleanTempDir: true,
};
