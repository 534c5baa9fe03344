import type { ErrorBody, UserView } from '@agent-gateway/core';

/** A gateway that answers slower than this is taken to be stuck: a bound on a hang (a login hashes with scrypt). */
const REQUEST_TIMEOUT_MS = 30_000;

/** The gateway refused or could not be reached: the message says which and why. */
export class GatewayRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GatewayRequestError';
  }
}

/** The user `POST /admin/users` creates. */
export interface NewUserRequest {
  readonly username: string;
  readonly password: string;
  readonly role: string;
  readonly tools?: readonly string[];
}

function describeRefusal(status: number, body: unknown): string {
  const error = (body as Partial<ErrorBody> | undefined)?.error;
  if (error === undefined) return `the gateway answered ${status}`;
  // The issues say what was wrong with each field; the message only sums them up.
  const issues = (error.issues ?? []).map((issue) => `${issue.path}: ${issue.message}`);
  return `the gateway refused (${status} ${error.code}): ${issues.length === 0 ? error.message : issues.join('; ')}`;
}

/**
 * The admin routes `users add` needs, signed in as an admin. Through the gateway rather than into its
 * user store: the running processes see the user at once whatever the store (a users file is held in
 * memory), and the audit log records who created it.
 */
export class AdminClient {
  readonly #base: string;
  readonly #token: string;

  private constructor(base: string, token: string) {
    this.#base = base;
    this.#token = token;
  }

  static async signIn(base: string, username: string, password: string): Promise<AdminClient> {
    const { token } = (await request(base, 'POST', '/admin/login', { body: { username, password } })) as { token: string };
    return new AdminClient(base, token);
  }

  async listUsers(): Promise<UserView[]> {
    return ((await request(this.#base, 'GET', '/admin/users', { token: this.#token })) as { users: UserView[] }).users;
  }

  async createUser(user: NewUserRequest): Promise<{ user: UserView; created: boolean }> {
    return (await request(this.#base, 'POST', '/admin/users', { token: this.#token, body: user })) as { user: UserView; created: boolean };
  }

  /** Ends this session, so its token is worth nothing once the command is done. */
  async signOut(): Promise<void> {
    await request(this.#base, 'POST', '/admin/revoke', { token: this.#token, body: { token: this.#token } });
  }
}

async function request(base: string, method: string, path: string, options: { token?: string; body?: unknown }): Promise<unknown> {
  let response: Response;
  try {
    // Joined, not resolved: a gateway mounted under a prefix (`/gateway`) keeps it.
    response = await fetch(`${base.replace(/\/+$/, '')}${path}`, {
      method,
      headers: {
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    if (error instanceof Error && error.name === 'TimeoutError') throw new GatewayRequestError(`the gateway at ${base} did not answer within ${REQUEST_TIMEOUT_MS / 1000} s`);
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
    throw new GatewayRequestError(`cannot reach the gateway at ${base} (${reason}); is \`agent-gateway serve\` running there? (--url names another)`);
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) throw new GatewayRequestError(describeRefusal(response.status, body));
  return body;
}
