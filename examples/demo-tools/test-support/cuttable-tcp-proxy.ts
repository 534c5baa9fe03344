import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy a test can cut and restore, to take a shared server (Redis) away from the processes
 * using it without stopping the server itself, which other suites on the machine use too. Two ways:
 * - `cut()` destroys every open connection in both directions and stops accepting (new connections
 *   are refused); `listen()` listens again on the same port, so the clients' configured URL stays valid.
 * - `partition()` closes nothing but passes no byte on (no RST, no FIN: the sockets look connected,
 *   as through a dead link); `heal()` delivers what was held, in order, as TCP would once the link is back.
 */
export class CuttableTcpProxy {
  readonly #target: { readonly host: string; readonly port: number };
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  #port = 0;
  #partitioned = false;
  readonly #held: Array<() => void> = [];

  constructor(target: { host: string; port: number }) {
    this.#target = target;
  }

  /** The port it listens on (chosen by the system the first time, the same one after each cut). */
  get port(): number {
    return this.#port;
  }

  /** Listens (again); resolves with the port. */
  async listen(): Promise<number> {
    if (this.#server !== undefined) return this.#port;
    const server = createServer((client) => this.#pipe(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('the proxy has no TCP address');
    this.#port = address.port;
    this.#server = server;
    return this.#port;
  }

  /** Stops accepting and destroys every connection through it, at once. */
  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    const closed = server === undefined ? Promise.resolve() : new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    this.#held.length = 0;
    await closed;
  }

  /** Holds every byte in both directions, on every connection, new ones included, until `heal()`. */
  partition(): void {
    this.#partitioned = true;
  }

  heal(): void {
    this.#partitioned = false;
    for (const send of this.#held.splice(0)) send();
  }

  #pipe(client: Socket): void {
    const upstream = connect(this.#target);
    for (const [socket, other] of [[client, upstream], [upstream, client]] as const) {
      this.#sockets.add(socket);
      socket.setNoDelay(true);
      socket.on('data', (chunk: Buffer) => {
        if (this.#partitioned) this.#held.push(() => other.write(chunk));
        else other.write(chunk);
      });
      socket.on('error', () => other.destroy());
      socket.on('close', () => {
        this.#sockets.delete(socket);
        other.destroy();
      });
    }
  }
}
