import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_VARIABLES, RUNBOOK_METRIC_NAMES } from '../src/index.js';

const readme = readFileSync(resolve(__dirname, '../../../README.md'), 'utf8');

describe('the root README', () => {
  it('documents every environment variable with its default and description', () => {
    for (const variable of ENV_VARIABLES) {
      expect(readme).toContain(`| \`${variable.name}\` | ${variable.default} | ${variable.description} |`);
    }
  });

  it('documents every metric', () => {
    for (const name of RUNBOOK_METRIC_NAMES) expect(readme).toContain(`| \`${name}\` |`);
  });

  it('shows the commands CI runs', () => {
    expect(readme).toContain('npm ci');
    expect(readme).toContain('npm test');
  });
});
