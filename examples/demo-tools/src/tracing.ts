/**
 * OpenTelemetry for the example servers, from the standard environment variables: with
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, or `OTEL_TRACES_EXPORTER`)
 * set, `@opentelemetry/sdk-node` is loaded and started, and it reads the rest itself
 * (`OTEL_SERVICE_NAME`, `OTEL_EXPORTER_OTLP_PROTOCOL`, `OTEL_TRACES_SAMPLER`, ...). Without them
 * nothing is loaded: the gateway's spans stay the API's no-ops. The SDK is an optional dependency:
 * an install without it runs untraced, and says so.
 */

/** A started SDK: flush and stop it on shutdown. */
export interface StartedTracing {
  shutdown(): Promise<void>;
}

/** Whether the environment asks for traces (`OTEL_SDK_DISABLED=true` says no whatever else is set). */
export function tracingWanted(env: Readonly<Record<string, string | undefined>>): boolean {
  if (env.OTEL_SDK_DISABLED === 'true') return false;
  const set = (name: string): boolean => (env[name] ?? '') !== '';
  if (env.OTEL_TRACES_EXPORTER === 'none') return false;
  return set('OTEL_EXPORTER_OTLP_ENDPOINT') || set('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') || set('OTEL_TRACES_EXPORTER');
}

/** The SDK's module, typed by what is used of it, so that the example compiles where it is not installed. */
interface NodeSdkModule {
  NodeSDK: new (configuration?: Record<string, unknown>) => { start(): void; shutdown(): Promise<void> };
}

/**
 * Starts the Node SDK when the environment asks for traces: the W3C propagator, the async-hooks
 * context manager and the exporter the variables name. Undefined when not asked, or not installed.
 */
export async function startTracingFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  warn: (message: string) => void,
): Promise<StartedTracing | undefined> {
  if (!tracingWanted(env)) return undefined;
  let module: NodeSdkModule;
  try {
    // A variable specifier: loaded only now, and the example still compiles without the optional package.
    const specifier = '@opentelemetry/sdk-node';
    module = (await import(specifier)) as NodeSdkModule;
  } catch {
    warn('OTEL_* variables are set but @opentelemetry/sdk-node is not installed (npm install @opentelemetry/sdk-node); running without traces');
    return undefined;
  }
  // The SDK's own metrics and logs pipelines stay off: the gateway's metrics are Prometheus', its logs JSON lines.
  const sdk = new module.NodeSDK({ metricReaders: [], logRecordProcessors: [] });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
