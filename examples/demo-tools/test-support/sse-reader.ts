export interface SseEvent {
  readonly id?: string;
  readonly event?: string;
  readonly data?: unknown;
}

export interface SseReader {
  readonly status: number;
  readonly events: SseEvent[];
  /** Resolves with every named event once `done` holds for them, or rejects after `timeoutMs`. */
  until(done: (events: SseEvent[]) => boolean, timeoutMs?: number): Promise<SseEvent[]>;
  close(): void;
}

function parse(block: string): SseEvent | undefined {
  const event: { id?: string; event?: string; data?: unknown } = {};
  for (const line of block.split('\n')) {
    if (line.startsWith('id: ')) event.id = line.slice(4);
    else if (line.startsWith('event: ')) event.event = line.slice(7);
    else if (line.startsWith('data: ')) event.data = JSON.parse(line.slice(6)) as unknown;
  }
  // Comments (`: heartbeat`) and `retry:` carry no event.
  return event.event === undefined ? undefined : event;
}

/**
 * A small Server-Sent Events reader over fetch, so the example smoke tests need not depend on the
 * conformance package: enough to see named events with their ids as they arrive.
 */
export async function readSse(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  const events: SseEvent[] = [];
  const waiters = new Set<() => void>();
  const pump = async (): Promise<void> => {
    if (response.body === null) return;
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end !== -1) {
        const event = parse(buffer.slice(0, end));
        if (event !== undefined) events.push(event);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
      }
      for (const waiter of [...waiters]) waiter();
    }
  };
  // Closing aborts the body; that rejection is the expected end of the stream.
  pump().catch(() => undefined);
  return {
    status: response.status,
    events,
    until(done, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (!done(events)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(events);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`the stream did not show what was awaited within ${timeoutMs} ms: ${JSON.stringify(events)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close() {
      controller.abort();
    },
  };
}
