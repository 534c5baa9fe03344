// A small MCP server (2025 era, newline-delimited JSON-RPC on stdio) that misbehaves on request, for
// the failure cases real servers cannot be made to show: a tool that never answers, garbage on
// stdout, an invalid input schema, a helper process, a secret in its stderr and errors, a tool list
// that changes, a listing that fails, a start that hangs. Flags: --garbage --invalid-schema --helper --list-fails
// --marker=<text> --hang-start-if=<file> (never answers initialize while <file> exists).
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';

const flags = new Set(process.argv.slice(2));
const hangStartIf = process.argv.find((arg) => arg.startsWith('--hang-start-if='))?.slice('--hang-start-if='.length);
const garbage = flags.has('--garbage');

const tools = [
  { name: 'echo', description: 'Returns its text', inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] }, annotations: { readOnlyHint: true } },
  { name: 'hang', description: 'Never answers', inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } },
  { name: 'slow', description: 'Answers after 30 s', inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } },
  { name: 'env', description: 'Says which of the named variables it has', inputSchema: { type: 'object', properties: { names: { type: 'array', items: { type: 'string' } } } }, annotations: { readOnlyHint: true } },
  { name: 'leak', description: 'Puts its TOKEN into stderr and into a protocol error', inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } },
  { name: 'write_at', description: 'Writes a file where it is told, with no checks of its own', inputSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } },
  { name: 'connect', description: 'Opens a TCP connection to a loopback port', inputSchema: { type: 'object', properties: { port: { type: 'number' } }, required: ['port'] }, annotations: { readOnlyHint: true } },
  { name: 'add_tool', description: 'Adds the tool "added" and says so (list_changed)', inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } },
  { name: 'remove_tool', description: 'Removes the tool "echo" and says so (list_changed)', inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } },
];
if (flags.has('--invalid-schema')) tools.push({ name: 'broken', description: 'Its schema is not JSON Schema', inputSchema: { type: 'object', properties: { x: { type: 'strin' } } } });

if (flags.has('--helper')) {
  // A child of the server that would outlive it if only the server were killed.
  const marker = process.argv.find((arg) => arg.startsWith('--marker=')) ?? '--marker=none';
  spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', `helper${marker}`], { stdio: 'ignore' });
}

function send(message) {
  if (garbage) process.stdout.write('this is a log line, not JSON-RPC\n{"not":"json-rpc"}\n');
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

const text = (value) => ({ content: [{ type: 'text', text: value }] });

function callTool(id, name, args) {
  switch (name) {
    case 'echo':
      return send({ jsonrpc: '2.0', id, result: text(String(args.text)) });
    case 'hang':
      return undefined;
    case 'slow':
      return setTimeout(() => send({ jsonrpc: '2.0', id, result: text('late') }), 30_000);
    case 'env': {
      const names = Array.isArray(args.names) ? args.names : [];
      return send({ jsonrpc: '2.0', id, result: text(JSON.stringify(Object.fromEntries(names.map((n) => [n, process.env[n] !== undefined])))) });
    }
    case 'leak':
      process.stderr.write(`debug: using token ${process.env.TOKEN}\n`);
      return send({ jsonrpc: '2.0', id, error: { code: -32603, message: `upstream failed with token ${process.env.TOKEN}` } });
    case 'write_at':
      try {
        writeFileSync(String(args.path), 'written');
        return send({ jsonrpc: '2.0', id, result: text('written') });
      } catch (error) {
        return send({ jsonrpc: '2.0', id, result: { ...text(String(error.code ?? error)), isError: true } });
      }
    case 'connect': {
      const socket = connect(Number(args.port), '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        send({ jsonrpc: '2.0', id, result: text('connected') });
      });
      socket.once('error', (error) => send({ jsonrpc: '2.0', id, result: { ...text(String(error.code ?? error)), isError: true } }));
      return undefined;
    }
    case 'add_tool':
      tools.push({ name: 'added', description: 'Added at run time', inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } });
      send({ jsonrpc: '2.0', id, result: text('added') });
      return send({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
    case 'remove_tool':
      tools.splice(tools.findIndex((tool) => tool.name === 'echo'), 1);
      send({ jsonrpc: '2.0', id, result: text('removed') });
      return send({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
    default:
      return send({ jsonrpc: '2.0', id, result: { ...text(`unknown tool ${name}`), isError: true } });
  }
}

const SUPPORTED = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'];

createInterface({ input: process.stdin }).on('line', (line) => {
  let message;
  try {
    message = JSON.parse(line);
  } catch {
    return;
  }
  const { id, method, params } = message;
  if (id === undefined) return; // a notification
  if (method === 'initialize') {
    if (hangStartIf !== undefined && existsSync(hangStartIf)) return undefined;
    const requested = params?.protocolVersion;
    return send({
      jsonrpc: '2.0',
      id,
      result: {
        protocolVersion: SUPPORTED.includes(requested) ? requested : SUPPORTED[0],
        capabilities: { tools: { listChanged: true } },
        serverInfo: { name: 'faulty-server', version: '1.0.0' },
      },
    });
  }
  if (method === 'ping') return send({ jsonrpc: '2.0', id, result: {} });
  if (method === 'tools/list' && flags.has('--list-fails')) return send({ jsonrpc: '2.0', id, error: { code: -32603, message: 'cannot list' } });
  if (method === 'tools/list') return send({ jsonrpc: '2.0', id, result: { tools } });
  if (method === 'tools/call') return callTool(id, params?.name, params?.arguments ?? {});
  return send({ jsonrpc: '2.0', id, error: { code: -32601, message: `Method not found: ${method}` } });
});
process.stdin.on('end', () => process.exit(0));
