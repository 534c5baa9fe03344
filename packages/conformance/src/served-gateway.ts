import { afterAll, beforeAll } from 'vitest';
import { createConformanceGateway, USERS, type ConformanceGateway } from './conformance-gateway.js';
import { login, type Session } from './sessions.js';
import type { RunningServer, StartServer } from './suite.js';

/** A conformance gateway served for one `describe` block, with an admin and an agent logged in. */
export interface ServedGateway {
  readonly conformance: ConformanceGateway;
  readonly base: string;
  readonly admin: Session;
  readonly agent: Session;
  url(path: string): string;
}

/**
 * Registers the `beforeAll`/`afterAll` that start a fresh conformance gateway with `start` and
 * close it again; read the fields inside tests (they exist once `beforeAll` has run).
 */
export function serveConformanceGateway(start: StartServer): ServedGateway {
  let conformance: ConformanceGateway | undefined;
  let server: RunningServer | undefined;
  let sessions: { admin: Session; agent: Session } | undefined;
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the conformance gateway is read before beforeAll ran');
    return value;
  };
  beforeAll(async () => {
    conformance = await createConformanceGateway();
    server = await start(conformance.gateway);
    const [admin, agent] = await Promise.all([login(server.baseUrl, USERS.admin), login(server.baseUrl, USERS.agent)]);
    sessions = { admin, agent };
  });
  afterAll(async () => {
    await server?.close();
    await conformance?.dispose();
  });
  return {
    get conformance() {
      return ready(conformance);
    },
    get base() {
      return ready(server).baseUrl;
    },
    get admin() {
      return ready(sessions).admin;
    },
    get agent() {
      return ready(sessions).agent;
    },
    url: (path) => `${ready(server).baseUrl}${path}`,
  };
}
