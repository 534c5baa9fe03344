import { defineConfig } from 'vitest/config';
import { selectedGroup } from './scripts/mutation-groups.mjs';
import base from './vitest.config.js';

/**
 * The tests StrykerJS runs against one group's mutants (`npm run test:mutation`): that group's test
 * files only (scripts/mutation-groups.mjs, MUTATION_GROUP), from the sources, with the root config's aliases.
 */
export default defineConfig({
  resolve: base.resolve,
  test: {
    include: selectedGroup().testFiles,
    testTimeout: 20_000,
    hookTimeout: 30_000,
    passWithNoTests: false,
  },
});
