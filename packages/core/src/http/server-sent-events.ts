/** One Server-Sent Event: its name, id and data (sent as JSON). */
export interface ServerSentEvent {
  /** The SSE `event:` field; omitted means `message`. */
  readonly event?: string;
  /** The SSE `id:` field, which a reconnecting client sends back as `Last-Event-ID`. */
  readonly id?: string;
  /** The `data:` field, serialised as JSON. */
  readonly data: unknown;
}

function singleLine(field: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new TypeError(`SSE ${field} must not contain line breaks`);
  return value;
}

/** One event in the text/event-stream format; `data` is JSON, so it is a single line. */
export function formatServerSentEvent(message: ServerSentEvent): string {
  let out = '';
  if (message.id !== undefined) out += `id: ${singleLine('id', message.id)}\n`;
  if (message.event !== undefined) out += `event: ${singleLine('event', message.event)}\n`;
  return `${out}data: ${JSON.stringify(message.data)}\n\n`;
}
