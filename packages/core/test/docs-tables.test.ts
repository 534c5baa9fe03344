import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_VARIABLES, GATEWAY_METRIC_NAMES, RUNBOOK_METRIC_NAMES } from '../src/index.js';
import { SECRET_KEY_NAMES, SECRET_KEY_PARTS, SECRET_KEY_SUFFIXES } from '../src/redaction/secret-keys.js';

const page = (path: string): string => readFileSync(resolve(__dirname, '../../..', path), 'utf8');
const readme = page('README.md');

describe('the docs hold to the code', () => {
  it('docs/configuration.md documents every environment variable with its default and description', () => {
    const configuration = page('docs/configuration.md');
    for (const variable of ENV_VARIABLES) {
      expect(configuration).toContain(`| \`${variable.name}\` | ${variable.default} | ${variable.description} |`);
    }
  });

  it("the operations runbook's metrics reference documents every metric", () => {
    const operations = page('docs/operations.md');
    for (const name of [...RUNBOOK_METRIC_NAMES, ...GATEWAY_METRIC_NAMES]) expect(operations).toContain(`| \`${name}\` |`);
  });

  it('docs/redaction-and-guards.md names every secret name the scrubber looks for', () => {
    const scrubbing = page('docs/redaction-and-guards.md').split('## Secret scrubbing')[1] ?? '';
    const missing = [...SECRET_KEY_PARTS, ...SECRET_KEY_SUFFIXES, ...SECRET_KEY_NAMES].filter((name) => !scrubbing.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });

  it('the README shows the commands CI runs', () => {
    expect(readme).toContain('npm ci');
    expect(readme).toContain('npm test');
  });
});
