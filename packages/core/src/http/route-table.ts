import { BadRequestError, MethodNotAllowedError, NotFoundError } from '../errors/index.js';
import type { Route } from './route.js';

export type RouteMatch =
  | { readonly kind: 'route'; readonly route: Route; readonly params: Readonly<Record<string, string>> }
  | { readonly kind: 'method-not-allowed'; readonly error: MethodNotAllowedError }
  | { readonly kind: 'none' };

interface CompiledPath {
  readonly pattern: RegExp;
  readonly paramNames: readonly string[];
  readonly routes: Map<string, Route>;
}

function compile(path: string): { pattern: RegExp; paramNames: string[] } {
  const paramNames: string[] = [];
  const source = path
    .split('/')
    .map((segment) => {
      if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      paramNames.push(segment.slice(1));
      return '([^/]+)';
    })
    .join('/');
  return { pattern: new RegExp(`^${source}$`), paramNames };
}

function decodeParam(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new BadRequestError('the path holds malformed percent-encoding');
  }
}

/**
 * The gateway's routes, matched by exact path (no trailing-slash or case folding, so both
 * adapters answer the same). HEAD is served by a GET route. A known path with an unknown method
 * is a 405 that names the allowed methods.
 */
export class RouteTable {
  readonly routes: readonly Route[];
  readonly #exact = new Map<string, CompiledPath>();
  readonly #patterns: CompiledPath[] = [];

  constructor(routes: readonly Route[]) {
    this.routes = routes;
    for (const route of routes) {
      const isPattern = route.path.includes(':');
      let entry = isPattern ? this.#patterns.find((p) => p.pattern.source === compile(route.path).pattern.source) : this.#exact.get(route.path);
      if (entry === undefined) {
        entry = { ...compile(route.path), routes: new Map() };
        if (isPattern) this.#patterns.push(entry);
        else this.#exact.set(route.path, entry);
      }
      if (entry.routes.has(route.method)) throw new TypeError(`duplicate route ${route.method} ${route.path}`);
      entry.routes.set(route.method, route);
    }
  }

  match(method: string, pathname: string): RouteMatch {
    const exact = this.#exact.get(pathname);
    if (exact !== undefined) return this.#pick(exact, method, {});
    for (const entry of this.#patterns) {
      const found = entry.pattern.exec(pathname);
      if (found === null) continue;
      const params: Record<string, string> = {};
      entry.paramNames.forEach((name, i) => {
        params[name] = decodeParam(found[i + 1] ?? '');
      });
      return this.#pick(entry, method, params);
    }
    return { kind: 'none' };
  }

  #pick(entry: CompiledPath, method: string, params: Record<string, string>): RouteMatch {
    const route = entry.routes.get(method === 'HEAD' ? 'GET' : method);
    if (route !== undefined) return { kind: 'route', route, params };
    const allowed = [...entry.routes.keys()];
    if (allowed.includes('GET')) allowed.push('HEAD');
    return { kind: 'method-not-allowed', error: new MethodNotAllowedError(method, allowed) };
  }
}

export function routeNotFound(method: string, pathname: string): NotFoundError {
  const shown = pathname.length > 200 ? `${pathname.slice(0, 200)}...` : pathname;
  return new NotFoundError(`no route for ${method} ${shown}`);
}
