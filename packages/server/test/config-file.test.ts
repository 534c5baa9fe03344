import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigFileError, mergeSettings, readConfigFile } from '../src/config-file.js';

describe('the config file', () => {
  let dir: string;
  const file = async (name: string, text: string, mode = 0o600): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, text);
    await chmod(path, mode);
    return path;
  };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agent-gateway-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('holds the environment variables, numbers and booleans given as their text', async () => {
    const path = await file('ok.json', JSON.stringify({ PORT: 9090, HOST: '0.0.0.0', MCP_ENABLED: false, AGENT_GATEWAY_AUDIT_PATH: '/data/audit.log' }));
    expect(await readConfigFile(path, () => undefined)).toEqual({ PORT: '9090', HOST: '0.0.0.0', MCP_ENABLED: 'false', AGENT_GATEWAY_AUDIT_PATH: '/data/audit.log' });
  });

  it('refuses a misspelt setting, a value that is not text, and anything but one object', async () => {
    const cases: Array<[string, RegExp]> = [
      ['{"AGENT_GATEWAY_AUDITPATH": "x"}', /unknown setting "AGENT_GATEWAY_AUDITPATH"/],
      ['{"PORT": [8080]}', /PORT must be a string, a number or true\/false/],
      ['{"PORT": null}', /PORT must be a string/],
      ['[]', /must hold one JSON object/],
      ['"PORT=8080"', /must hold one JSON object/],
      ['PORT=8080', /is not JSON/],
    ];
    for (const [text, message] of cases) {
      const error = await readConfigFile(await file('bad.json', text), () => undefined).catch((e: unknown) => e);
      expect(error, text).toBeInstanceOf(ConfigFileError);
      expect((error as Error).message, text).toMatch(message);
    }
  });

  it('warns when a file others may read holds a secret, naming the variable and never its value', async () => {
    const warnings: string[] = [];
    const path = await file('open.json', JSON.stringify({ AGENT_GATEWAY_ADMIN_PASS: 'hunter2-hunter2', PORT: 1 }), 0o644);
    await readConfigFile(path, (text) => warnings.push(text));
    expect(warnings).toEqual([expect.stringMatching(/holds AGENT_GATEWAY_ADMIN_PASS and other users may read it \(chmod 600 /)]);
    expect(warnings.join('')).not.toContain('hunter2');

    const quiet: string[] = [];
    await readConfigFile(await file('closed.json', JSON.stringify({ AGENT_GATEWAY_ADMIN_PASS: 'x' }), 0o600), (text) => quiet.push(text));
    await readConfigFile(await file('no-secret.json', JSON.stringify({ PORT: 1 }), 0o644), (text) => quiet.push(text));
    expect(quiet).toEqual([]);
  });

  it('the environment wins over the file, and the flags over both', () => {
    const merged = mergeSettings({ PORT: '1', HOST: 'file', SCRATCH_DIR: 'file' }, { PORT: '2', HOST: 'env', UNSET: undefined }, { PORT: '3' });
    expect(merged).toEqual({ PORT: '3', HOST: 'env', SCRATCH_DIR: 'file' });
  });
});
