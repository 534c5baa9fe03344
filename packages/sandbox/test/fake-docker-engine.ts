import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { dockerFrame } from '../src/index.js';

interface FakeContainer {
  readonly id: string;
  readonly spec: Record<string, unknown>;
  socket: Socket | undefined;
  stdin: string;
  started: boolean;
  exitCode: number | undefined;
  removed: boolean;
  readonly waiters: Array<(code: number) => void>;
}

export interface RecordedCall {
  readonly method: string;
  readonly path: string;
  readonly query: string;
}

/**
 * A stand-in for the Docker Engine on a Unix socket, speaking the real HTTP API shape the runner uses:
 * create, attach (HTTP upgrade to the multiplexed raw stream), start, wait, kill, remove. The
 * "container" behaves according to its command:
 *   answer: replies to the protocol request with its params; fail: replies with an error;
 *   sleep: never finishes; flood: writes 2 MiB; exit: exits 3 without a word.
 */
export class FakeDockerEngine {
  readonly calls: RecordedCall[] = [];
  readonly containers = new Map<string, FakeContainer>();
  readonly #server: Server;

  constructor(readonly socketPath: string) {
    this.#server = createServer((req, res) => void this.#handle(req, res));
    this.#server.on('upgrade', (req: IncomingMessage, socket: Socket) => this.#attach(req, socket));
  }

  async listen(): Promise<void> {
    await rm(this.socketPath, { force: true });
    await new Promise<void>((resolve) => this.#server.listen(this.socketPath, resolve));
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #route(req: IncomingMessage): { path: string; query: string } {
    const url = new URL(req.url ?? '/', 'http://docker');
    const path = url.pathname.replace(/^\/v\d+\.\d+/, '');
    this.calls.push({ method: req.method ?? '', path, query: url.search });
    return { path, query: url.search };
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { path } = this.#route(req);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const json = (status: number, body?: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    if (req.method === 'POST' && path === '/containers/create') {
      const id = randomUUID().replace(/-/g, '');
      const spec = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>;
      this.containers.set(id, { id, spec, socket: undefined, stdin: '', started: false, exitCode: undefined, removed: false, waiters: [] });
      json(201, { Id: id, Warnings: [] });
      return;
    }
    const match = /^\/containers\/([0-9a-f]+)(?:\/(start|wait|kill))?$/.exec(path);
    const container = match?.[1] === undefined ? undefined : this.containers.get(match[1]);
    if (container === undefined || container.removed) {
      json(404, { message: 'No such container' });
      return;
    }
    switch (`${req.method} ${match?.[2] ?? ''}`) {
      case 'POST start':
        container.started = true;
        json(204);
        this.#maybeRun(container);
        return;
      case 'POST wait':
        if (container.exitCode !== undefined) json(200, { StatusCode: container.exitCode });
        else container.waiters.push((code) => json(200, { StatusCode: code }));
        return;
      case 'POST kill':
        this.#exit(container, 137);
        json(204);
        return;
      case 'DELETE ':
        container.removed = true;
        json(204);
        return;
      default:
        json(404, { message: 'not implemented in the fake' });
    }
  }

  #attach(req: IncomingMessage, socket: Socket): void {
    const { path } = this.#route(req);
    const id = /^\/containers\/([0-9a-f]+)\/attach$/.exec(path)?.[1];
    const container = id === undefined ? undefined : this.containers.get(id);
    if (container === undefined) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
    container.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      container.stdin += chunk.toString();
      this.#maybeRun(container);
    });
    socket.on('error', () => undefined);
  }

  #maybeRun(container: FakeContainer): void {
    const newline = container.stdin.indexOf('\n');
    if (!container.started || newline === -1 || container.exitCode !== undefined) return;
    const request = JSON.parse(container.stdin.slice(0, newline)) as { id: string; params: unknown };
    container.stdin = container.stdin.slice(newline + 1);
    const command = (container.spec.Cmd as string[])[0];
    const socket = container.socket;
    const write = (stream: 'stdout' | 'stderr', text: string): void => {
      socket?.write(dockerFrame(stream, text));
    };
    switch (command) {
      case 'answer':
        write('stderr', 'starting\n');
        write('stdout', `${JSON.stringify({ id: request.id, result: request.params })}\n`);
        this.#exit(container, 0);
        break;
      case 'fail':
        write('stdout', `${JSON.stringify({ id: request.id, error: { code: 'bad_input', message: 'cannot do that' } })}\n`);
        this.#exit(container, 1);
        break;
      case 'flood':
        for (let i = 0; i < 32; i += 1) write('stdout', 'x'.repeat(64 * 1024));
        setTimeout(() => this.#exit(container, 0), 50);
        break;
      case 'exit':
        this.#exit(container, 3);
        break;
      default:
        // 'sleep': runs until killed.
        break;
    }
  }

  #exit(container: FakeContainer, code: number): void {
    if (container.exitCode !== undefined) return;
    container.exitCode = code;
    container.socket?.end();
    for (const waiter of container.waiters.splice(0)) waiter(code);
    // AutoRemove: the engine removes the container once it exits.
    if ((container.spec.HostConfig as { AutoRemove?: boolean } | undefined)?.AutoRemove === true) container.removed = true;
  }
}
