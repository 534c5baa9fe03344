// `npm start` builds the packages first, but only when a build is missing or older than its sources.
import { execSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newestMtime(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((entry) => newestMtime(join(path, entry))));
}

/** Private packages that run from source (the conformance suite) have nothing to build. */
const builds = (dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).scripts?.build !== undefined;

const stale = readdirSync('packages').filter((name) => {
  const dir = join('packages', name);
  if (!builds(dir)) return false;
  const built = join(dir, 'dist', 'index.js');
  if (!existsSync(built)) return true;
  const sources = Math.max(newestMtime(join(dir, 'src')), newestMtime(join(dir, 'package.json')));
  return sources > statSync(built).mtimeMs;
});

/**
 * `--js-only` (what `npm start` uses): JavaScript without declarations, every stale package at once. The
 * examples run on the JavaScript alone, and the declaration build was most of a fresh clone's first start.
 * Without it, the full build, in workspace order (a package's declarations need its dependencies').
 */
const jsOnly = process.argv.includes('--js-only');

function buildJavaScript(name) {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['tsup', '--silent'], { cwd: join('packages', name), stdio: 'inherit', env: { ...process.env, AGENT_GATEWAY_BUILD_DTS: '0' } });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`building ${name} failed (exit ${code})`))));
  });
}

if (stale.length > 0) {
  console.log(`building${jsOnly ? ' JavaScript' : ''} (${stale.join(', ')} changed since the last build)`);
  if (jsOnly) await Promise.all(stale.map(buildJavaScript));
  else execSync('npm run build --silent', { stdio: 'inherit' });
}
