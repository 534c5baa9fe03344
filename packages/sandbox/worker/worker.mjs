// The bundled sandbox worker. It speaks the worker protocol: one JSON request per line on stdin,
// one JSON response per line on stdout. It runs with an empty environment and, under Node's
// permission model, may read only itself, its tools directory and its scratch directory.
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

const TOOL_NAME = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const TRACEPARENT = /^00-([0-9a-f]{32})-[0-9a-f]{16}-([0-9a-f]{2})$/;

// A request's `trace` (W3C Trace Context) continued: the work is a span of its own in the same trace,
// named in the answer so the gateway can record it. No OpenTelemetry SDK here; a tool that has one
// gets the context as its second argument and may make its spans under it.
function continueTrace(trace) {
  const match = typeof trace?.traceparent === 'string' ? TRACEPARENT.exec(trace.traceparent) : null;
  if (match === null) return undefined;
  const traceparent = `00-${match[1]}-${randomBytes(8).toString('hex')}-${match[2]}`;
  return typeof trace.tracestate === 'string' ? { traceparent, tracestate: trace.tracestate } : { traceparent };
}
const toolsDir = process.env.SANDBOX_TOOLS_DIR;

const actions = {
  ping: () => 'pong',
  noop: () => null,
  echo: (params) => params,
  // Loads <SANDBOX_TOOLS_DIR>/<tool>.mjs and calls its default export with the args (and `{ trace }`).
  async run(params, trace) {
    const tool = params?.tool;
    if (typeof tool !== 'string' || !TOOL_NAME.test(tool)) throw Object.assign(new Error('run needs a tool name'), { code: 'bad_request' });
    if (toolsDir === undefined) throw Object.assign(new Error('this worker has no tools directory'), { code: 'no_tools' });
    const module = await import(pathToFileURL(join(toolsDir, `${tool}.mjs`)).href).catch((error) => {
      throw Object.assign(new Error(`cannot load tool ${tool}: ${error.code ?? error.message}`), { code: 'tool_not_found' });
    });
    if (typeof module.default !== 'function') throw Object.assign(new Error(`tool ${tool} has no default export`), { code: 'bad_tool' });
    return module.default(params.args, trace === undefined ? {} : { trace });
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
  const trace = continueTrace(request?.trace);
  const traced = trace === undefined ? {} : { trace };
  const handler = Object.hasOwn(actions, action) ? actions[action] : undefined;
  if (handler === undefined) {
    reply({ id, error: { code: 'unknown_action', message: `unknown action ${JSON.stringify(action)}` }, ...traced });
    continue;
  }
  try {
    const result = await handler(params, trace);
    reply({ id, result: result === undefined ? null : result, ...traced });
  } catch (error) {
    reply({ id, error: { code: typeof error?.code === 'string' ? error.code : 'tool_error', message: String(error?.message ?? error) }, ...traced });
  }
}
