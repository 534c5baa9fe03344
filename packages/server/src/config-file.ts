import { readFile, stat } from 'node:fs/promises';
import { ENV_VARIABLES } from '@agent-gateway/core';

/** What the server reads besides the gateway's own variables (the table of docs/configuration.md). */
export const SERVER_VARIABLES: readonly string[] = ['PORT', 'HOST', 'WORKERS', 'SCRATCH_DIR'];

const KNOWN = new Set<string>([...SERVER_VARIABLES, ...ENV_VARIABLES.map((v) => v.name)]);
const SECRET = new Set<string>(ENV_VARIABLES.filter((v) => v.secret).map((v) => v.name));

export type Settings = Record<string, string>;

/** A config file that cannot be used; the command turns it into a usage error. */
export class ConfigFileError extends Error {
  constructor(path: string, problem: string) {
    super(`config file ${path}: ${problem}`);
    this.name = 'ConfigFileError';
  }
}

/**
 * A config file: one JSON object whose keys are the environment variables (`{"PORT": 8080,
 * "AGENT_GATEWAY_AUDIT_PATH": "/data/audit.log"}`), so the file and the environment share one
 * vocabulary and one table of defaults. An unknown key is refused rather than ignored: a misspelt
 * setting would otherwise silently keep its default. `warn` hears of secrets in a file others may read.
 */
export async function readConfigFile(path: string, warn: (text: string) => void): Promise<Settings> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigFileError(path, `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigFileError(path, `is not JSON (${error instanceof SyntaxError ? error.message : String(error)})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ConfigFileError(path, 'must hold one JSON object of settings');
  const settings: Settings = {};
  for (const [key, value] of Object.entries(json)) {
    if (!KNOWN.has(key)) throw new ConfigFileError(path, `unknown setting ${JSON.stringify(key)} (the settings are the environment variables: PORT, HOST, AGENT_GATEWAY_..., see docs/configuration.md)`);
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new ConfigFileError(path, `${key} must be a string, a number or true/false`);
    }
    settings[key] = String(value);
  }
  const secrets = Object.keys(settings).filter((key) => SECRET.has(key));
  if (secrets.length > 0 && ((await stat(path)).mode & 0o077) !== 0) {
    warn(`agent-gateway: warning: ${path} holds ${secrets.join(', ')} and other users may read it (chmod 600 ${path})\n`);
  }
  return settings;
}

/**
 * The settings in force: the file's, then the environment over them (a deployment changes one
 * setting without editing the file), then the command line's flags over both.
 */
export function mergeSettings(file: Settings, env: Readonly<Record<string, string | undefined>>, flags: Settings): Settings {
  const merged: Settings = { ...file };
  for (const [key, value] of Object.entries(env)) if (value !== undefined) merged[key] = value;
  return { ...merged, ...flags };
}
