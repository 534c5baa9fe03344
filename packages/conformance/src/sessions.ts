import { expect } from 'vitest';
import { postJson } from './http-client.js';

export interface Session {
  readonly token: string;
  readonly refreshToken: string;
}

/** Logs in over HTTP and returns the tokens; fails the test if login does not answer 200. */
export async function login(base: string, user: { username: string; password: string }): Promise<Session> {
  const response = await postJson(`${base}/admin/login`, { username: user.username, password: user.password });
  expect(response.status, response.text).toBe(200);
  const body = response.json<{ token: string; refresh_token: string }>();
  return { token: body.token, refreshToken: body.refresh_token };
}
