import { describe, expect, it } from 'vitest';
import { startTracingFromEnv, tracingWanted } from '../src/tracing.js';

describe('tracing from the standard OTel variables', () => {
  it('is wanted when an OTLP endpoint or a traces exporter is set, and not when disabled or none of them is', () => {
    expect(tracingWanted({})).toBe(false);
    expect(tracingWanted({ OTEL_SERVICE_NAME: 'gw' })).toBe(false);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toBe(false);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318' })).toBe(true);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://localhost:4318/v1/traces' })).toBe(true);
    expect(tracingWanted({ OTEL_TRACES_EXPORTER: 'console' })).toBe(true);
    expect(tracingWanted({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318' })).toBe(false);
    expect(tracingWanted({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318' })).toBe(false);
  });

  it('loads nothing when not asked', async () => {
    const warnings: string[] = [];
    expect(await startTracingFromEnv({}, (message) => warnings.push(message))).toBeUndefined();
    expect(warnings).toEqual([]);
  });
});
