// The gateway's HTTP API as the console uses it: the access token lives in this module's memory only
// (never localStorage or a cookie), refreshed before it expires and once more on a 401.

/** Where the gateway's routes are, relative to this page (the plugin writes it into the page). */
function apiBase(): URL {
  const meta = document.querySelector('meta[name="agent-gateway-api"]');
  const relative = meta?.getAttribute('content') ?? '../';
  return new URL(relative.startsWith('__') ? '../' : relative, document.baseURI);
}

/** An error answer of the gateway: its status, stable code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type Role = 'admin' | 'approver' | 'agent';

interface TokenAnswer {
  readonly token: string;
  readonly refresh_token: string;
  readonly expires_in: number;
}

interface Claims {
  readonly sub: string;
  readonly role: Role;
}

/** The claims of our own token, read for display only: the gateway checks it on every request. */
function claimsOf(token: string): Claims {
  const part = token.split('.')[1] ?? '';
  const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
  const claims = JSON.parse(json) as Partial<Claims>;
  if (typeof claims.sub !== 'string' || (claims.role !== 'admin' && claims.role !== 'approver' && claims.role !== 'agent')) {
    throw new ApiError(0, 'bad_token', 'the gateway answered with a token the console cannot read');
  }
  return { sub: claims.sub, role: claims.role };
}

async function errorOf(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string } };
    return new ApiError(response.status, body.error?.code ?? 'error', body.error?.message ?? response.statusText);
  } catch {
    return new ApiError(response.status, 'error', response.statusText || `HTTP ${response.status}`);
  }
}

export function url(path: string): string {
  return new URL(path.replace(/^\//, ''), apiBase()).href;
}

async function postJson(path: string, body: unknown, token?: string): Promise<Response> {
  return fetch(url(path), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
    credentials: 'omit',
  });
}

/** A signed-in user. `onEnded` runs once when the session can no longer be refreshed. */
export class Session {
  #token: string;
  #refreshToken: string;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #refreshing: Promise<void> | undefined;
  #ended = false;
  readonly username: string;
  readonly role: Role;
  onEnded: (reason: string) => void = () => undefined;

  private constructor(answer: TokenAnswer) {
    this.#token = answer.token;
    this.#refreshToken = answer.refresh_token;
    const claims = claimsOf(answer.token);
    this.username = claims.sub;
    this.role = claims.role;
    this.#schedule(answer.expires_in);
  }

  static async signIn(username: string, password: string): Promise<Session> {
    const response = await postJson('/admin/login', { username, password });
    if (!response.ok) throw await errorOf(response);
    return new Session((await response.json()) as TokenAnswer);
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Refreshes at four fifths of the token's life, so requests rarely meet an expired token. */
  #schedule(expiresIn: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.refresh().catch(() => undefined), Math.max(5, expiresIn * 0.8) * 1000);
  }

  refresh(): Promise<void> {
    this.#refreshing ??= (async () => {
      try {
        const response = await postJson('/admin/refresh', { refresh_token: this.#refreshToken });
        if (!response.ok) {
          const error = await errorOf(response);
          if (response.status === 401 || response.status === 400) this.#end('your session ended; sign in again');
          throw error;
        }
        const answer = (await response.json()) as TokenAnswer;
        this.#token = answer.token;
        this.#refreshToken = answer.refresh_token;
        this.#schedule(answer.expires_in);
      } finally {
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }

  #end(reason: string): void {
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#timer);
    this.#token = '';
    this.#refreshToken = '';
    this.onEnded(reason);
  }

  /** A request with the bearer token; on a 401 the token is refreshed and the request sent once more. */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const send = (): Promise<Response> =>
      fetch(url(path), { ...init, credentials: 'omit', headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${this.#token}` } });
    if (this.#ended) throw new ApiError(401, 'signed_out', 'signed out');
    const response = await send();
    if (response.status !== 401) return response;
    await this.refresh();
    return send();
  }

  /** The JSON answer of a request, or its error as an `ApiError`. */
  async json<T>(path: string, init: RequestInit = {}): Promise<T> {
    const response = await this.fetch(path, init);
    if (!response.ok) throw await errorOf(response);
    return (await response.json()) as T;
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.json<T>(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  }

  /** Signs out: the gateway revokes this session (the refresh token with it), then the tokens are forgotten. */
  async signOut(): Promise<void> {
    if (this.#ended) return;
    try {
      await this.fetch('/admin/logout', { method: 'POST' });
    } finally {
      this.#end('signed out');
    }
  }
}
