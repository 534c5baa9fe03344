import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The console as a user installs it: the tarball `npm run pack` makes, in an app outside the
// repository, serving its page from the files the tarball carries (release tier: it needs the build).
const repoRoot = resolve(__dirname, '../../../..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const run = (command: string, args: readonly string[], cwd: string): string => execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('@agent-gateway/console installed from its tarball', () => {
  let dir: string;

  beforeAll(() => {
    for (const built of ['packages/console/dist/index.js', 'packages/console/web/index.html', 'packages/core/dist/index.js']) {
      if (!existsSync(join(repoRoot, built))) throw new Error(`${built} is not built: run npm run build (npm run test:release does it first)`);
    }
    dir = mkdtempSync(join(tmpdir(), 'console-host-'));
    writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'console-host', private: true, type: 'module' })}\n`);
    const packed = run(process.execPath, [join(repoRoot, 'scripts/pack.mjs'), '--no-build', '--out', join(dir, 'packs')], repoRoot).trim().split('\n');
    const tarballs = ['core', 'sandbox', 'console'].map((name) => packed.find((path) => basename(path).startsWith(`agent-gateway-${name}-`)) ?? `no tarball for ${name}`);
    run(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', ...tarballs], dir);
  }, 180_000);
  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page and its files from the installed package, under its CSP', () => {
    writeFileSync(
      join(dir, 'serve.mjs'),
      `import { createServer } from 'node:http';
import { Gateway, silentLogger } from '@agent-gateway/core';
import { consolePlugin, CONSOLE_CSP } from '@agent-gateway/console';
const gateway = new Gateway({ logger: silentLogger, plugins: [consolePlugin()] });
const server = createServer(gateway.nodeListener()).listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const base = 'http://127.0.0.1:' + server.address().port;
const page = await fetch(base + '/console/');
const html = await page.text();
const script = html.match(/src="\\.\\/(assets\\/[^"]+\\.js)"/)?.[1];
const asset = await fetch(base + '/console/' + script);
console.log(JSON.stringify({ page: page.status, csp: page.headers.get('content-security-policy') === CONSOLE_CSP, script: asset.status, type: asset.headers.get('content-type') }));
server.close();
await gateway.close();
`,
    );
    expect(JSON.parse(run(process.execPath, ['serve.mjs'], dir))).toEqual({ page: 200, csp: true, script: 200, type: 'text/javascript; charset=utf-8' });
  });
});
