import { openApiDocument } from '../openapi.js';
import { defineRoute } from '../route.js';
import { jsonResponse } from '../responses.js';
import type { Route } from '../route.js';

/** `GET /openapi.json`, generated from the very table it is part of. */
export function openApiRoutes(all: () => readonly Route[]): Route[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/openapi.json',
      summary: 'This OpenAPI 3.1 document: every route, and the JSON Schema of every tool',
      auth: 'none',
      handle: ({ gateway }) => jsonResponse(200, openApiDocument(gateway, all(), { title: 'Intelli Agent Gateway', version: '0.1.0' })),
    }),
  ];
}
