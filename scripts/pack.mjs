// `npm run pack`: every published package as the tarball `npm publish` would upload, in packs/, so a
// host app can install them before a release: npm install /path/to/packs/*.tgz
// Builds each package first (one at a time); `--no-build` packs the builds there are, `--out DIR`
// writes the tarballs elsewhere. Prints the tarballs' paths, one a line, on stdout.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { 'no-build': { type: 'boolean', default: false }, out: { type: 'string', default: join(root, 'packs') } } });
const out = resolve(values.out);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** The workspaces under packages/ that are published: not private (the conformance kit is). */
const published = readdirSync(join(root, 'packages'))
  .map((name) => join('packages', name))
  .filter((dir) => {
    try {
      return JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')).private !== true;
    } catch {
      return false;
    }
  });

if (!values['no-build']) {
  for (const dir of published) execFileSync(npm, ['run', 'build', '-w', dir], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
}
mkdirSync(out, { recursive: true });
const packed = JSON.parse(
  execFileSync(npm, ['pack', '--json', '--pack-destination', out, ...published.flatMap((dir) => ['-w', dir])], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }),
);
for (const { filename } of packed) console.log(join(out, filename));
