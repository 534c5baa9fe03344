import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');

/**
 * `npm run docs` (TypeDoc over each package's public entry, typedoc.json) with nothing written: its
 * warnings are errors there, and an export without a TSDoc summary is one, so this fails naming it.
 */
describe('the API reference', () => {
  it('builds from the TSDoc without a warning: every public export has a summary, every link resolves', async () => {
    const typedoc = join(root, 'node_modules/typedoc/bin/typedoc');
    try {
      await promisify(execFile)(process.execPath, [typedoc, '--emit', 'none'], { cwd: root, timeout: 150_000 });
    } catch (error) {
      const failure = error as { stdout?: string; stderr?: string };
      const said = `${failure.stdout ?? ''}${failure.stderr ?? ''}`.replace(/\u001b\[[0-9;]*m/g, '');
      expect.fail(`npm run docs reports:\n${said}`);
    }
  }, 180_000);
});
