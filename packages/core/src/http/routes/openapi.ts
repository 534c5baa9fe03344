import { openApiDocument } from '../openapi.js';
import { defineRoute } from '../route.js';
import { jsonResponse } from '../responses.js';
import type { Route } from '../route.js';

/** `GET /openapi.json`, generated from the very table it is part of (plugin routes included). */
export const openApiRoutes: readonly Route[] = [
  defineRoute({
    method: 'GET',
    path: '/openapi.json',
    summary: 'This OpenAPI 3.1 document: every route, and the JSON Schema of every tool',
    auth: 'none',
    handle: ({ services, routes }) => jsonResponse(200, openApiDocument(services, routes, { title: 'Intelli Agent Gateway', version: '0.1.0' })),
  }),
];
