import { request, type IncomingMessage } from 'node:http';

export interface ServerSentMessage {
  readonly id?: string;
  readonly event?: string;
  readonly data?: unknown;
  /** Comment lines (`: heartbeat`). */
  readonly comments: string[];
}

/** A real SSE client over a socket; `paused` leaves the socket unread (a slow client). */
export interface SseConnection {
  readonly response: IncomingMessage;
  readonly messages: ServerSentMessage[];
  /** Resolves once `count` messages with an event name arrived. */
  waitForEvents(count: number, timeoutMs?: number): Promise<ServerSentMessage[]>;
  close(): void;
}

function parse(block: string): ServerSentMessage {
  const message: { id?: string; event?: string; data?: unknown; comments: string[] } = { comments: [] };
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) message.comments.push(line.slice(1).trim());
    else if (line.startsWith('id: ')) message.id = line.slice(4);
    else if (line.startsWith('event: ')) message.event = line.slice(7);
    else if (line.startsWith('data: ')) message.data = JSON.parse(line.slice(6)) as unknown;
  }
  return message;
}

export function connectSse(url: string, headers: Record<string, string> = {}, options: { paused?: boolean } = {}): Promise<SseConnection> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept: 'text/event-stream', ...headers }, agent: false }, (response) => {
      const messages: ServerSentMessage[] = [];
      const waiters: Array<() => void> = [];
      let buffer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let end = buffer.indexOf('\n\n');
        while (end !== -1) {
          messages.push(parse(buffer.slice(0, end)));
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
        }
        for (const waiter of waiters.splice(0)) waiter();
      });
      response.on('error', () => undefined);
      if (options.paused) response.pause();
      const events = () => messages.filter((m) => m.event !== undefined);
      resolve({
        response,
        messages,
        waitForEvents(count, timeoutMs = 5000) {
          return new Promise((done, fail) => {
            const timer = setTimeout(() => fail(new Error(`saw ${events().length} of ${count} events: ${JSON.stringify(messages)}`)), timeoutMs);
            const check = (): void => {
              if (events().length >= count) {
                clearTimeout(timer);
                done(events());
              } else waiters.push(check);
            };
            check();
          });
        },
        close() {
          req.destroy();
          response.destroy();
        },
      });
    });
    req.on('error', reject);
    req.end();
  });
}
