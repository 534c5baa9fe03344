// The bundled sandbox worker. It speaks the worker protocol: one JSON request per line on stdin,
// one JSON response per line on stdout. It runs with an empty environment and, under Node's
// permission model, may read only itself, its tools directory and its scratch directory.
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

const TOOL_NAME = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const toolsDir = process.env.SANDBOX_TOOLS_DIR;

const actions = {
  ping: () => 'pong',
  noop: () => null,
  echo: (params) => params,
  // Loads <SANDBOX_TOOLS_DIR>/<tool>.mjs and calls its default export with the args.
  async run(params) {
    const tool = params?.tool;
    if (typeof tool !== 'string' || !TOOL_NAME.test(tool)) throw Object.assign(new Error('run needs a tool name'), { code: 'bad_request' });
    if (toolsDir === undefined) throw Object.assign(new Error('this worker has no tools directory'), { code: 'no_tools' });
    const module = await import(pathToFileURL(join(toolsDir, `${tool}.mjs`)).href).catch((error) => {
      throw Object.assign(new Error(`cannot load tool ${tool}: ${error.code ?? error.message}`), { code: 'tool_not_found' });
    });
    if (typeof module.default !== 'function') throw Object.assign(new Error(`tool ${tool} has no default export`), { code: 'bad_tool' });
    return module.default(params.args);
  },
};

function reply(message) {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
// stdin closes when the pool is gone (even a gateway killed outright). The requests already read are
// answered, but a tool still waiting a second later is abandoned: nobody is left to read its answer.
lines.once('close', () => setTimeout(() => process.exit(0), 1000).unref());
for await (const line of lines) {
  let request;
  try {
    request = JSON.parse(line);
  } catch {
    continue;
  }
  const { id, action, params } = request ?? {};
  const handler = Object.hasOwn(actions, action) ? actions[action] : undefined;
  if (handler === undefined) {
    reply({ id, error: { code: 'unknown_action', message: `unknown action ${JSON.stringify(action)}` } });
    continue;
  }
  try {
    const result = await handler(params);
    reply({ id, result: result === undefined ? null : result });
  } catch (error) {
    reply({ id, error: { code: typeof error?.code === 'string' ? error.code : 'tool_error', message: String(error?.message ?? error) } });
  }
}
