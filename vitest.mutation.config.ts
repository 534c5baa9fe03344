import { defineConfig } from 'vitest/config';
import { selectedGroup } from './scripts/mutation-groups.mjs';
import base from './vitest.config.js';

/**
 * The tests StrykerJS runs against one group's mutants (`npm run test:mutation`): that group's test
 * files only (scripts/mutation-groups.mjs, MUTATION_GROUP), from the sources, with the root config's aliases.
 */
const { testFiles } = selectedGroup();

export default defineConfig({
  resolve: base.resolve,
  test: {
    include: testFiles.filter((pattern) => !pattern.startsWith('!')),
    exclude: ['**/node_modules/**', ...testFiles.filter((pattern) => pattern.startsWith('!')).map((pattern) => pattern.slice(1))],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    passWithNoTests: false,
  },
});
