import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_STATUS } from '../../src/index.js';

const errorsPage = readFileSync(resolve(__dirname, '../../../../docs/errors.md'), 'utf8');

/** The rows of the error table of docs/errors.md as [status, code] pairs, one per code it names. */
function documentedCodes(): [number, string][] {
  const lines = errorsPage.split('\n');
  const header = lines.indexOf('| status | code | when |');
  expect(header, 'docs/errors.md has a "| status | code | when |" table').toBeGreaterThan(-1);
  const pairs: [number, string][] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const [status = '', codes = ''] = line.split(' | ').map((cell) => cell.replace(/^\| /, ''));
    expect(status, `one status per row: ${line}`).toMatch(/^[45]\d\d$/);
    for (const [, code = ''] of codes.matchAll(/`([a-z_]+)`/g)) pairs.push([Number(status), code]);
  }
  return pairs;
}

describe('the error table of docs/errors.md', () => {
  it('lists every code of ERROR_STATUS with its status', () => {
    const documented = documentedCodes();
    const missing = Object.entries(ERROR_STATUS)
      .filter(([code, status]) => !documented.some(([s, c]) => c === code && s === status))
      .map(([code, status]) => `${status} ${code}`);
    expect(missing).toEqual([]);
  });

  it('lists no code the table does not hold, and each code once', () => {
    const documented = documentedCodes();
    const table: Readonly<Record<string, number>> = ERROR_STATUS;
    expect(documented.filter(([status, code]) => table[code] !== status).map(([s, c]) => `${s} ${c}`)).toEqual([]);
    expect(new Set(documented.map(([, code]) => code)).size).toBe(documented.length);
  });
});
