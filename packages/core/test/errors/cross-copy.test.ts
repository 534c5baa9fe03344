import { afterEach, describe, expect, it, vi } from 'vitest';
import { failureOf, GatewayError, isGatewayError, silentLogger, ToolError } from '../../src/index.js';
import { errorResponse } from '../../src/http/responses.js';

type ErrorsModule = typeof import('../../src/errors/index.js');

/**
 * A second copy of the errors module, as a process gets with the CJS and the ESM build side by side
 * or with two installs: same code, its own classes. (packaging/built-packages.test.ts does it with the real builds.)
 */
async function secondCopy(): Promise<ErrorsModule> {
  vi.resetModules();
  const copy = await import('../../src/errors/index.js');
  expect(copy.GatewayError).not.toBe(GatewayError);
  return copy;
}

const BRAND = Symbol.for('agent-gateway.error');

describe('an error from another copy of the package', () => {
  afterEach(() => {
    delete (Object.prototype as Record<symbol, unknown>)[BRAND];
  });

  it('is a GatewayError to this copy: isGatewayError, failureOf and instanceof', async () => {
    const other = new (await secondCopy()).ConflictError('that name is taken');
    expect(Function.prototype[Symbol.hasInstance].call(GatewayError, other)).toBe(false);
    expect(isGatewayError(other)).toBe(true);
    expect(other instanceof GatewayError).toBe(true);
    expect(failureOf(other)).toMatchObject({ code: 'conflict', status: 409, message: 'that name is taken' });
  });

  it('is answered with its own status and body, not a bare 500', async () => {
    const other = new (await secondCopy()).ServiceUnavailableError('gateway_closed', 'the gateway is shutting down');
    const response = errorResponse(other, silentLogger);
    expect(response.status).toBe(503);
    expect(JSON.parse(response.body)).toEqual({ error: { code: 'gateway_closed', message: 'the gateway is shutting down' } });
  });

  it("keeps a tool's own code and status", async () => {
    const other = new (await secondCopy()).ToolError('full', { code: 'scratch_full', status: 507 });
    expect(failureOf(other)).toMatchObject({ code: 'scratch_full', status: 507 });
    // Only the base class is recognised across copies; a subclass compares prototypes as usual.
    expect(other instanceof ToolError).toBe(false);
  });

  it('is told apart from what only looks like one', () => {
    const lookalike = Object.assign(new Error('x'), { code: 'conflict', status: 409 });
    expect(isGatewayError(lookalike)).toBe(false);
    expect(failureOf(lookalike)).toEqual({ code: 'internal_error', status: 500, message: 'internal error' });
    // A brand on a polluted prototype is not the object's own: it does not count.
    (Object.prototype as Record<symbol, unknown>)[BRAND] = 1;
    expect(isGatewayError({ code: 'conflict', status: 409, message: 'x' })).toBe(false);
    expect({} instanceof GatewayError).toBe(false);
  });

  it('is not trusted with a shape of another version', () => {
    const future = Object.defineProperty(new Error('x'), BRAND, { value: 2 });
    expect(isGatewayError(future)).toBe(false);
    expect(future instanceof GatewayError).toBe(false);
  });
});
