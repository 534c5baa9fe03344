import { parseArgs } from 'node:util';
import { runExampleServer } from '@agent-gateway-examples/demo-tools/server';
import { serveWithExpress } from '@agent-gateway-examples/express-server/serve';
import { UsageError, type CommandIo } from '../command-io.js';
import { ConfigFileError, mergeSettings, readConfigFile, type Settings } from '../config-file.js';

/** The help text of `agent-gateway serve`. */
export const SERVE_USAGE = `usage: agent-gateway serve [--config <file>] [--port <n>] [--host <address>] [--workers <n>]

Runs the gateway over HTTP (Express) with the demo tools (echo, file.write, sandbox.echo), the MCP
endpoint at /mcp and the MCP servers of MCP_UPSTREAMS_FILE: what \`npm start\` runs in the repository.
It is configured by the environment variables of docs/configuration.md (AGENT_GATEWAY_ADMIN_PASS is
required), PORT (8080), HOST (127.0.0.1; 0.0.0.0 in a container), WORKERS (1) and SCRATCH_DIR.
  --config   a JSON file of those variables ({"PORT": 8080, ...}); the environment wins over it
  --port, --host, --workers   win over both
SIGINT or SIGTERM stops it cleanly.`;

const FLAGS = { port: 'PORT', host: 'HOST', workers: 'WORKERS' } as const;

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    allowPositionals: false,
    strict: true,
    options: {
      config: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      workers: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/**
 * `agent-gateway serve`: the settings from the file, the environment and the flags go into
 * `process.env`, where the example server's runner reads them (cluster workers, started again with
 * the same arguments, read the same). Answers undefined once listening; a bad setting exits 1 with
 * its reason, as `npm start` does.
 */
export async function serveCommand(args: readonly string[], io: CommandIo): Promise<number | undefined> {
  let values: ReturnType<typeof parse>['values'];
  try {
    ({ values } = parse(args));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), SERVE_USAGE);
  }
  if (values.help === true) {
    io.out(`${SERVE_USAGE}\n`);
    return 0;
  }
  const flags: Settings = {};
  for (const [flag, variable] of Object.entries(FLAGS)) {
    const value = values[flag as keyof typeof FLAGS];
    if (value !== undefined) flags[variable] = value;
  }
  let file: Settings = {};
  try {
    if (values.config !== undefined) file = await readConfigFile(values.config, (text) => io.err(text));
  } catch (error) {
    if (error instanceof ConfigFileError) throw new UsageError(error.message, SERVE_USAGE);
    throw error;
  }
  Object.assign(process.env, mergeSettings(file, io.env, flags));
  await runExampleServer('express', serveWithExpress);
  return undefined;
}
