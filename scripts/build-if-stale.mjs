// `npm start` builds the packages first, but only when a build is missing or older than its sources.
import { execSync } from 'node:child_process';
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

if (stale.length > 0) {
  console.log(`building (${stale.join(', ')} changed since the last build)`);
  execSync('npm run build --silent', { stdio: 'inherit' });
}
