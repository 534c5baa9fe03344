import { Client, type JSONRPCResponse } from '@modelcontextprotocol/client';

/**
 * The SDK's client, with each response handled after the notifications that arrived before it.
 * SDK 2.4 hands a notification to its handler a microtask late but a response at once
 * (modelcontextprotocol/typescript-sdk#2580), so the progress a server sends just before its
 * result arrives after the result has retired the call's progress handler, and is lost. A
 * response handled one microtask later comes after every notification already queued; a
 * response alone is only a microtask later.
 */
export class OrderedClient extends Client {
  protected override _onresponse(response: JSONRPCResponse): void {
    queueMicrotask(() => {
      // Called from a microtask, a throw would be an uncaught exception: report it as the transport's error path would.
      try {
        super._onresponse(response);
      } catch (error) {
        this.onerror?.(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }
}
