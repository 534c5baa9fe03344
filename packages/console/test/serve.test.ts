import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { getJson, listenOnLoopback, rawRequest } from '@agent-gateway/conformance';
import { Gateway, silentLogger } from '@agent-gateway/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_CSP, consolePlugin } from '../src/index.js';

// The plugin alone, over real HTTP, on a small built console of its own (the browser suite runs the real build).
const dir = mkdtempSync(join(tmpdir(), 'console-assets-'));
mkdirSync(join(dir, 'assets'));
writeFileSync(join(dir, 'index.html'), '<meta name="agent-gateway-api" content="__AGENT_GATEWAY_API_BASE__"><script type="module" src="./assets/app-1a2b.js"></script>');
writeFileSync(join(dir, 'assets', 'app-1a2b.js'), 'console.log("console");');
writeFileSync(join(dir, 'assets', 'app-1a2b.css'), 'body{}');
writeFileSync(join(dir, 'assets', 'notes.txt'), 'not served: not a type the console ships');

async function serve(plugin: ReturnType<typeof consolePlugin>): Promise<{ baseUrl: string; close(): Promise<void> }> {
  const gateway = new Gateway({ logger: silentLogger, plugins: [plugin] });
  const server = await listenOnLoopback(gateway.nodeListener());
  return {
    baseUrl: server.baseUrl,
    async close() {
      await server.close();
      await gateway.close();
    },
  };
}

let app: Awaited<ReturnType<typeof serve>>;
beforeAll(async () => {
  app = await serve(consolePlugin({ assetsDir: dir }));
});
afterAll(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the console plugin', () => {
  it('serves the page at /console/ with the strict CSP, never cached, and tells the page where the API is', async () => {
    const page = await rawRequest(`${app.baseUrl}/console/`, { method: 'GET' });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.text).toContain('content="../"');
    expect(page.text).not.toContain('__AGENT_GATEWAY_API_BASE__');
  });

  it('has a CSP that allows no inline script, no other origin and no framing', () => {
    const directives = new Map(CONSOLE_CSP.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)] as const));
    expect(directives.get('default-src')).toEqual(["'self'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('style-src')).toEqual(["'self'"]);
    expect(directives.get('connect-src')).toEqual(["'self'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(CONSOLE_CSP).not.toMatch(/unsafe-|https?:|\*|data:/);
  });

  it('redirects /console to /console/ with a relative Location, so a mounted gateway keeps its prefix', async () => {
    const redirect = await rawRequest(`${app.baseUrl}/console`, { method: 'GET' });
    expect(redirect.status).toBe(308);
    expect(redirect.headers.location).toBe('console/');
    expect(redirect.headers['content-security-policy']).toBe(CONSOLE_CSP);
  });

  it('serves its built files by name with their type, cached for good (their names carry a hash), HEAD too', async () => {
    const script = await rawRequest(`${app.baseUrl}/console/assets/app-1a2b.js`, { method: 'GET' });
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(script.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(script.text).toBe('console.log("console");');
    expect((await rawRequest(`${app.baseUrl}/console/assets/app-1a2b.css`, { method: 'GET' })).headers['content-type']).toBe('text/css; charset=utf-8');
    const head = await rawRequest(`${app.baseUrl}/console/assets/app-1a2b.js`, { method: 'HEAD' });
    expect(head.status).toBe(200);
  });

  it('answers anything else under /console with the JSON 404: no other file, no path out of its folder', async () => {
    for (const path of ['/console/assets/nope.js', '/console/assets/notes.txt', '/console/assets/..%2Findex.html', '/console/assets/%2e%2e%2f%2e%2e%2fpackage.json', '/console/index.html', '/console/assets/']) {
      const response = await getJson(`${app.baseUrl}${path}`);
      expect(response.status, path).toBe(404);
      expect(response.json(), path).toMatchObject({ error: { code: 'not_found' } });
    }
  });

  it('adds only GET routes for static files, none of which reads a token or reaches the gateway', () => {
    const plugin = consolePlugin({ assetsDir: dir });
    expect(plugin.routes?.map((route) => `${route.method} ${route.path} ${String(route.auth)}`)).toEqual([
      'GET /console none',
      'GET /console/ none',
      'GET /console/assets/:file none',
    ]);
  });

  it('serves at another path, telling the page how far up the API is', async () => {
    const other = await serve(consolePlugin({ assetsDir: dir, path: '/ops/console' }));
    try {
      const page = await rawRequest(`${other.baseUrl}/ops/console/`, { method: 'GET' });
      expect(page.status).toBe(200);
      expect(page.text).toContain('content="../../"');
    } finally {
      await other.close();
    }
  });

  it('refuses a path it cannot serve', () => {
    for (const path of ['console', '/console/', '/con:sole', '/', '/a//b']) {
      expect(() => consolePlugin({ path }), path).toThrow(/console\.path/);
    }
  });

  it('without a build, answers 503 naming the build command while the rest of the gateway serves', async () => {
    const unbuilt = await serve(consolePlugin({ assetsDir: join(dir, 'missing') }));
    try {
      const page = await getJson(`${unbuilt.baseUrl}/console/`);
      expect(page.status).toBe(503);
      expect(page.json()).toMatchObject({ error: { code: 'plugin_unavailable', message: expect.stringContaining('npm run build -w @agent-gateway/console') } });
      expect((await getJson(`${unbuilt.baseUrl}/health`)).status).toBe(200);
    } finally {
      await unbuilt.close();
    }
  });
});

const packageDir = resolve(__dirname, '..');
const built = existsSync(join(packageDir, 'web', 'index.html')) && existsSync(join(packageDir, 'dist', 'index.js'));
if (!built) console.warn('skipped: what the console package ships (not built; npm run build -w @agent-gateway/console)');

describe.skipIf(!built)('the console package as npm packs it', () => {
  it('ships the built page (web/) beside the plugin (dist/), and no sources or screenshots', () => {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const [packed] = JSON.parse(execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: packageDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as Array<{ files: Array<{ path: string }> }>;
    const files = (packed?.files ?? []).map((file) => file.path);
    expect(files).toEqual(expect.arrayContaining(['dist/index.js', 'web/index.html', 'LICENSE', 'README.md']));
    expect(files.some((file) => /^web\/assets\/index-[\w-]+\.js$/.test(file))).toBe(true);
    expect(files.some((file) => /^web\/assets\/index-[\w-]+\.css$/.test(file))).toBe(true);
    expect(files.filter((file) => /^(ui|src|test|screenshots)\//.test(file))).toEqual([]);
  });
});
