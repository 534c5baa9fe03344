import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../../src/index.js';

describe('AGENT_GATEWAY_TRACE_ARGS', () => {
  it('is off unless set to true, and refuses anything but true or false', () => {
    expect(configFromEnv({ AGENT_GATEWAY_ADMIN_PASS: 'pw' }).tracing.recordArguments).toBe(false);
    expect(configFromEnv({ AGENT_GATEWAY_ADMIN_PASS: 'pw', AGENT_GATEWAY_TRACE_ARGS: 'false' }).tracing.recordArguments).toBe(false);
    expect(configFromEnv({ AGENT_GATEWAY_ADMIN_PASS: 'pw', AGENT_GATEWAY_TRACE_ARGS: 'true' }).tracing.recordArguments).toBe(true);
    expect(() => configFromEnv({ AGENT_GATEWAY_ADMIN_PASS: 'pw', AGENT_GATEWAY_TRACE_ARGS: 'yes' })).toThrow(/AGENT_GATEWAY_TRACE_ARGS/);
  });
});
