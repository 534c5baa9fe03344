import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRequestUrl } from '../../src/http/handle-request.js';

/** The fast path skips the WHATWG parser only where the parser would change nothing: held to it here. */
describe('parseRequestUrl', () => {
  const pathCharacters = fc.constantFrom('/', 'a', 'Z', '0', '-', '_', '.', '%', '2', 'e', '?', '#', '\\', ' ', '&', '=', '@', ':');
  const urls = fc.oneof(
    fc.string({ unit: pathCharacters, maxLength: 24 }).map((tail) => `/${tail}`),
    fc.constantFrom('', '/', '//tools/call', '/tools//call', '/tools/../admin', '/./health', '/tools/call?x=1', '/%2e%2e/admin', '\\\\evil'),
  );

  it('gives the pathname and query the URL parser gives, for any path', () => {
    fc.assert(
      fc.property(urls, (url) => {
        let expected: URL | undefined;
        try {
          expected = new URL(url, 'http://gateway.invalid');
        } catch {
          expected = undefined;
        }
        if (expected === undefined) {
          expect(() => parseRequestUrl(url)).toThrow();
          return;
        }
        const parsed = parseRequestUrl(url);
        expect(parsed.pathname).toBe(expected.pathname);
        expect([...parsed.searchParams]).toEqual([...expected.searchParams]);
      }),
      { numRuns: 3000 },
    );
  });
});
