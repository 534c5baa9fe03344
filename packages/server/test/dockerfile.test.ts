import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDockerfile } from './support/dockerfile.js';

// The promises the Dockerfile and compose.yaml make, checked on their text, so they hold here too,
// where no Docker engine runs (docker-build.smoke.test.ts builds them where one does).
const dir = resolve(__dirname, '..');
const dockerfile = readFileSync(resolve(dir, 'Dockerfile'), 'utf8');
const instructions = parseDockerfile(dockerfile);
const finalStage = Math.max(...instructions.map((i) => i.stage));
const final = instructions.filter((i) => i.stage === finalStage);
const finalEnv = final.filter((i) => i.keyword === 'ENV').map((i) => i.args).join(' ');
const compose = readFileSync(resolve(dir, 'compose.yaml'), 'utf8');

/** Names that hold secrets: none may get a value in the image or in compose.yaml. */
const SECRET_NAME = /(PASS|SECRET|TOKEN|PRIVATE|CREDENTIAL|_KEY\b)/;

describe('the Dockerfile', () => {
  it('is multi-stage: the runtime copies the installed packages from an earlier stage, not the sources', () => {
    const froms = instructions.filter((i) => i.keyword === 'FROM');
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(froms.slice(0, -1).every((from) => / AS \w+$/i.test(from.args))).toBe(true);
    const copies = final.filter((i) => i.keyword === 'COPY');
    expect(copies.length).toBeGreaterThan(0);
    expect(copies.every((copy) => copy.args.startsWith('--from='))).toBe(true);
    // The build stage's dev dependencies stay behind: the install stage takes production ones only.
    expect(instructions.some((i) => i.keyword === 'RUN' && /npm install --omit=dev/.test(i.args))).toBe(true);
  });

  it('builds and packs every @agent-gateway package the server depends on, so the install stage finds them all', () => {
    const manifest = JSON.parse(readFileSync(resolve(dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const runs = instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    const run = runs.find((args) => args.includes('npm run build') && args.includes('npm pack')) ?? '';
    const build = run.slice(0, run.indexOf('npm pack'));
    const pack = run.slice(run.indexOf('npm pack'));
    for (const name of Object.keys(manifest.dependencies).filter((dependency) => dependency.startsWith('@agent-gateway/'))) {
      expect(build, `npm run build -w ${name}`).toContain(`-w ${name} `);
      expect(`${pack} `, `npm pack -w ${name}`).toContain(`-w ${name} `);
    }
  });

  it('runs as a user that is not root', () => {
    const users = final.filter((i) => i.keyword === 'USER').map((i) => i.args);
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1) ?? '';
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    // Nothing after USER switches back.
    const last = final.findIndex((i) => i.keyword === 'USER' && i.args === user);
    expect(final.slice(last).filter((i) => i.keyword === 'USER')).toHaveLength(1);
  });

  it('checks its health on /health and listens on every interface inside the container', () => {
    const health = final.filter((i) => i.keyword === 'HEALTHCHECK');
    expect(health).toHaveLength(1);
    expect(health[0]?.args).toMatch(/CMD .*\/health/);
    expect(finalEnv).toMatch(/\bHOST=0\.0\.0\.0\b/);
    expect(final.some((i) => i.keyword === 'EXPOSE' && i.args === '8080')).toBe(true);
  });

  it('keeps everything the gateway writes on the /data volume, so the root file system can be read-only', () => {
    expect(final.some((i) => i.keyword === 'VOLUME' && i.args.includes('/data'))).toBe(true);
    for (const variable of ['AGENT_GATEWAY_USERS_PATH', 'AGENT_GATEWAY_AUDIT_PATH', 'AGENT_GATEWAY_STATE_DIR', 'SCRATCH_DIR']) {
      expect(finalEnv, variable).toMatch(new RegExp(`\\b${variable}=/data/`));
    }
    expect(final.find((i) => i.keyword === 'WORKDIR')?.args).toBe('/data');
  });

  it('bakes in no secret: no secret variable set, no env file copied, none sent in the build context', () => {
    for (const instruction of instructions.filter((i) => i.keyword === 'ENV' || i.keyword === 'ARG')) {
      const names = [...instruction.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=/g)].map((m) => m[1] ?? '');
      if (instruction.keyword === 'ARG' && names.length === 0) names.push(instruction.args.split(/\s+/)[0] ?? '');
      for (const name of names) expect(name, `${instruction.keyword} ${instruction.args}`).not.toMatch(SECRET_NAME);
    }
    for (const copy of instructions.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')) expect(copy.args).not.toMatch(/\.env\b|\.pem\b|users\.json/);
    const ignored = readFileSync(resolve(dir, 'Dockerfile.dockerignore'), 'utf8').split('\n').map((line) => line.trim());
    for (const pattern of ['.git', '**/node_modules', '**/*.env', '**/.env', '**/agent-gateway']) expect(ignored, pattern).toContain(pattern);
  });
});

describe('compose.yaml', () => {
  it('runs two gateways on one Redis, each read-only with its own data volume', () => {
    expect(compose).toMatch(/^ {2}redis:\n/m);
    expect(compose).toMatch(/REDIS_URL: redis:\/\/redis:6379/);
    const gateways = [...compose.matchAll(/^ {2}(gateway-\d+):\n {4}<<: \*gateway\n/gm)].map((m) => m[1]);
    expect(gateways).toEqual(['gateway-1', 'gateway-2']);
    expect(compose).toMatch(/read_only: true/);
    expect(compose).toMatch(/tmpfs:\n\s+- \/tmp/);
    expect(compose).toMatch(/"gateway-1-data:\/data"/);
    expect(compose).toMatch(/"gateway-2-data:\/data"/);
  });

  it('takes the shared JWT secret and the admin password from an env file, never from itself', () => {
    expect(compose).toMatch(/env_file:\n\s+- path: \$\{GATEWAY_ENV_FILE:-gateway\.env\}\n\s+required: true/);
    for (const line of compose.split('\n').filter((l) => !l.trim().startsWith('#'))) {
      const assignment = /^\s*-?\s*([A-Z][A-Z0-9_]*)\s*[:=]/.exec(line);
      if (assignment !== null) expect(assignment[1], line).not.toMatch(SECRET_NAME);
    }
    const example = readFileSync(resolve(dir, 'gateway.env.example'), 'utf8');
    expect(example).toMatch(/^AGENT_GATEWAY_JWT_SECRET=$/m);
    expect(example).toMatch(/^AGENT_GATEWAY_ADMIN_PASS=$/m);
    expect(readFileSync(resolve(dir, '.gitignore'), 'utf8')).toMatch(/^gateway\.env$/m);
  });
});
