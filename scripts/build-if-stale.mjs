// `npm start` builds the packages first, but only when a build is missing or older than its sources.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

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
 * `--js-only` (what `npm start` uses): JavaScript without declarations, in one process. The
 * examples run on the JavaScript alone, and the declaration build was most of a fresh clone's first start.
 * Without it, the full build, in workspace order (a package's declarations need its dependencies').
 */
const jsOnly = process.argv.includes('--js-only');

/**
 * Each stale package's own tsup config, built in this one process, one after the other, with no
 * declarations: starting tsup once per package cost more than the builds themselves.
 */
async function buildJavaScript(names) {
  const { build } = await import('tsup');
  const { tsImport } = await import('tsx/esm/api');
  const root = process.cwd();
  try {
    for (const name of names) {
      const dir = join(root, 'packages', name);
      const { default: config } = await tsImport(pathToFileURL(join(dir, 'tsup.config.ts')).href, import.meta.url);
      process.chdir(dir);
      await build({
        ...config,
        dts: false,
        silent: true,
        config: false,
        // esbuild would otherwise resolve the entries from the folder this process started in.
        esbuildOptions(options, context) {
          config.esbuildOptions?.(options, context);
          options.absWorkingDir = dir;
        },
      });
      process.chdir(root);
    }
  } finally {
    process.chdir(root);
  }
}

if (stale.length > 0) {
  console.log(`building${jsOnly ? ' JavaScript' : ''} (${stale.join(', ')} changed since the last build)`);
  if (jsOnly) await buildJavaScript(stale);
  else execSync('npm run build --silent', { stdio: 'inherit' });
}

/**
 * The approval console's page is built by Vite, not tsup, so the JavaScript-only build above leaves it
 * out: built here when it is missing or older than its sources, or the example's /console/ answers 503.
 */
const consolePage = join('packages', 'console', 'web', 'index.html');
const consoleSources = join('packages', 'console', 'ui');
if (existsSync(consoleSources) && (!existsSync(consolePage) || newestMtime(consoleSources) > statSync(consolePage).mtimeMs)) {
  console.log('building the approval console page (packages/console/ui changed since the last build)');
  execSync('npm run build:web --silent -w @agent-gateway/console', { stdio: 'inherit' });
}
