import { z } from 'zod';
import type { TokenPair } from '../../auth/token-service.js';
import { defineRoute } from '../route.js';
import { jsonResponse } from '../responses.js';

const loginBody = z.object({ username: z.string().min(1).max(256), password: z.string().min(1).max(1024) }).strict();
const refreshBody = z.object({ refresh_token: z.string().min(1).max(8192) }).strict();
const revokeBody = z.union([
  z.object({ token: z.string().min(1).max(8192) }).strict(),
  z.object({ jti: z.string().min(1).max(128) }).strict(),
  z.object({ all: z.literal(true) }).strict(),
]);

function bearerToken(header: string | readonly string[] | undefined): string {
  const value = typeof header === 'string' ? header : (header?.[0] ?? '');
  return value.replace(/^Bearer\s+/i, '').trim();
}

function tokenResponse(pair: TokenPair) {
  return jsonResponse(200, {
    token: pair.accessToken,
    refresh_token: pair.refreshToken,
    token_type: pair.tokenType,
    expires_in: pair.expiresIn,
  });
}

export const adminAuthRoutes = [
  defineRoute({
    method: 'POST',
    path: '/admin/login',
    summary: 'Log in with username and password; returns an access and a refresh token',
    auth: 'none',
    body: loginBody,
    async handle({ services, body, request }) {
      const address = request.remoteAddress ?? 'unknown';
      return tokenResponse(await services.auth.login(body.username, body.password, { address }));
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/admin/refresh',
    summary: 'Exchange a refresh token for new tokens; the old refresh token is retired',
    auth: 'none',
    body: refreshBody,
    async handle({ services, body }) {
      return tokenResponse(await services.auth.refresh(body.refresh_token));
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/admin/revoke',
    summary: "Revoke a token and its session ({token}), one token by id ({jti}), or every token ({all:true})",
    auth: ['admin'],
    body: revokeBody,
    async handle({ services, body, caller }) {
      if ('all' in body) {
        await services.auth.revokeAll({ actor: caller });
        return jsonResponse(200, { revoked: 'all' });
      }
      const { tokenId, scope } = await services.auth.revoke(body, { actor: caller });
      return jsonResponse(200, { revoked: scope, jti: tokenId });
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/admin/logout',
    summary: "Sign out: revoke the caller's own session (the token sent and the refresh token of its login); audited like /admin/revoke",
    auth: 'bearer',
    async handle({ services, caller, request }) {
      // The route's auth has just verified this very token, so it is present and well formed.
      const token = bearerToken(request.headers.authorization);
      const { tokenId, scope } = await services.auth.revoke({ token }, { actor: caller });
      return jsonResponse(200, { revoked: scope, jti: tokenId });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/.well-known/jwks.json',
    summary: 'The public key that signs tokens, when keys are asymmetric (empty for HS256)',
    auth: 'none',
    async handle({ services }) {
      return jsonResponse(200, await services.auth.jwks());
    },
  }),
];
