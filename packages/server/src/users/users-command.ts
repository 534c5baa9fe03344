import { parseArgs } from 'node:util';
import { ROLES, sameUsername } from '@agent-gateway/core';
import { UsageError, type CommandIo } from '../command-io.js';
import { ConfigFileError, mergeSettings, readConfigFile, type Settings } from '../config-file.js';
import { AdminClient } from './admin-client.js';
import { readPassword } from './read-password.js';

/** The help text of `agent-gateway users add`. */
export const USERS_USAGE = `usage: agent-gateway users add <username> [--role ${ROLES.join('|')}] [--tool <glob>]... [--replace] [--url <gateway>] [--config <file>]

Creates a user on a running gateway through its admin API, so every process sees it at once and the
audit log records it. Signs in as AGENT_GATEWAY_ADMIN_USER (default admin) with AGENT_GATEWAY_ADMIN_PASS,
from the environment or the --config file, as \`serve\` reads them. The new user's password is the first
line of standard input, or typed twice at a terminal; never an argument.
  --role      the user's role (default agent)
  --tool      a tool-name glob the user may call; repeat for more (default: every tool)
  --replace   replace an existing user's password, role and tools (their tokens stop working)
  --url       the gateway (default http://127.0.0.1:<PORT>, PORT as \`serve\` reads it, 8080 if unset)
  --config    the JSON config file \`serve\` is given`;

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]', '']);

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: {
      role: { type: 'string', default: 'agent' },
      tool: { type: 'string', multiple: true },
      replace: { type: 'boolean' },
      url: { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** Where `serve` with these settings listens, as a client reaches it (a wildcard address by loopback). */
function localGateway(settings: Settings): string {
  const host = settings.HOST ?? '127.0.0.1';
  const reachable = WILDCARD_HOSTS.has(host) ? '127.0.0.1' : host;
  const shown = reachable.includes(':') && !reachable.startsWith('[') ? `[${reachable}]` : reachable;
  return `http://${shown}:${settings.PORT ?? '8080'}`;
}

function gatewayUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--url must be a URL such as http://127.0.0.1:8080, got ${JSON.stringify(value)}`, USERS_USAGE);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--url must be http:// or https://, got ${JSON.stringify(value)}`, USERS_USAGE);
  return url.href.replace(/\/+$/, '');
}

/** `agent-gateway users add ...`: 0 once the user exists; a refusal by the gateway rejects with its reason. */
export async function usersCommand(args: readonly string[], io: CommandIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), USERS_USAGE);
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    io.out(`${USERS_USAGE}\n`);
    return 0;
  }
  const [action, username, ...extra] = positionals;
  if (action !== 'add') throw new UsageError(action === undefined ? 'no users command given' : `unknown command: users ${action}`, USERS_USAGE);
  if (username === undefined || username === '') throw new UsageError('no username given', USERS_USAGE);
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`, USERS_USAGE);
  if (!(ROLES as readonly string[]).includes(values.role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}, got ${JSON.stringify(values.role)}`, USERS_USAGE);

  let file: Settings = {};
  try {
    if (values.config !== undefined) file = await readConfigFile(values.config, (text) => io.err(text));
  } catch (error) {
    if (error instanceof ConfigFileError) throw new UsageError(error.message, USERS_USAGE);
    throw error;
  }
  const settings = mergeSettings(file, io.env, {});
  const base = values.url === undefined ? localGateway(settings) : gatewayUrl(values.url);
  const adminPassword = settings.AGENT_GATEWAY_ADMIN_PASS ?? '';
  if (adminPassword === '') throw new UsageError('AGENT_GATEWAY_ADMIN_PASS is not set: users add signs in to the gateway as its admin', USERS_USAGE);

  const password = await readPassword(io.stdin, (text) => io.err(text));
  const admin = await AdminClient.signIn(base, settings.AGENT_GATEWAY_ADMIN_USER ?? 'admin', adminPassword);
  try {
    if (values.replace !== true && (await admin.listUsers()).some((user) => sameUsername(user.username, username))) {
      throw new Error(`a user named ${JSON.stringify(username)} exists; pass --replace to replace its password, role and tools`);
    }
    const { user, created } = await admin.createUser({ username, password, role: values.role, ...(values.tool === undefined ? {} : { tools: values.tool }) });
    const tools = user.tools === null ? 'every tool' : user.tools.join(', ');
    io.out(`${created ? 'created' : 'replaced'} user ${user.username} (${user.role}; may call ${tools}) on ${base}\n`);
    return 0;
  } finally {
    await admin.signOut().catch(() => undefined);
  }
}
