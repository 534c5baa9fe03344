import { defineRoute } from '../route.js';
import { jsonResponse } from '../responses.js';

export const adminProvidersRoutes = [
  defineRoute({
    method: 'GET',
    path: '/admin/providers',
    summary: 'Provider keys with their source, version and expiry (never their values)',
    auth: ['admin'],
    async handle({ services }) {
      const providers = await services.secrets.list();
      return jsonResponse(200, {
        providers: providers.map((p) => ({
          name: p.name,
          source: p.source,
          ...(p.version === undefined ? {} : { version: p.version }),
          ...(p.createdAt === undefined ? {} : { created_at: p.createdAt }),
          ...(p.rotatedAt === undefined ? {} : { rotated_at: p.rotatedAt }),
          ...(p.expiresAt === undefined ? {} : { expires_at: p.expiresAt }),
        })),
      });
    },
  }),
];
