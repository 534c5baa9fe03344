import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** The machine's Chromium (Debian's `chromium` package); a browser is never downloaded. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why the browser suite cannot run here, or undefined when it can. */
export const browserMissing: string | undefined = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is not installed (apt-get install chromium; .ci/run does it)`;

const packageDir = resolve(__dirname, '../..');
export const outputDir = join(packageDir, 'test-output');

function newest(path: string): number {
  const stat = statSync(path);
  return stat.isDirectory() ? Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name)))) : stat.mtimeMs;
}

/**
 * The page as the package ships it (web/), built first when it is missing or older than its sources:
 * `npm test` builds it before the tests run, a single `vitest run --project console` may not have.
 */
export function ensureBuilt(): void {
  const built = join(packageDir, 'web', 'index.html');
  const fresh = (): boolean => existsSync(built) && statSync(built).mtimeMs >= newest(join(packageDir, 'ui'));
  if (fresh()) return;
  // Test files run in parallel: one builds while the others wait for it (a build empties web/ first).
  const lock = join(packageDir, '.web-build-lock');
  try {
    mkdirSync(lock);
  } catch {
    for (let waited = 0; existsSync(lock) && waited < 120_000; waited += 100) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    if (fresh()) return;
    throw new Error(`the console page is not built and ${lock} is held: remove it if no build is running`);
  }
  try {
    const vite = join(dirname(createRequire(join(packageDir, 'package.json')).resolve('vite/package.json')), 'bin', 'vite.js');
    execFileSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: packageDir, stdio: 'inherit' });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Headless, no sandbox (CI runs as root), and none of Chromium's own calls home. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
}

/** axe-core's serious and critical findings on the page as it is now (rule id and the elements it names). */
export async function seriousViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate('typeof window.axe !== "undefined"'))) {
    // Through DevTools rather than a <script> tag, which the console's own CSP would rightly refuse.
    await page.evaluate(readFileSync(createRequire(join(packageDir, 'package.json')).resolve('axe-core/axe.min.js'), 'utf8'));
  }
  const results = (await page.evaluate('window.axe.run(document, { resultTypes: ["violations"] })')) as {
    violations: Array<{ id: string; impact: string | null; nodes: Array<{ target: unknown }> }>;
    passes: unknown[];
  };
  if (results.passes.length === 0) throw new Error('axe-core checked nothing on this page');
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
}

export function screenshotPath(name: string): string {
  mkdirSync(outputDir, { recursive: true });
  return join(outputDir, name);
}
