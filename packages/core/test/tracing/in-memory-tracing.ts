import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { context, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';

/** An OpenTelemetry SDK as a host would register one, exporting to memory. */
export interface InMemoryTracing {
  readonly exporter: InMemorySpanExporter;
  /** The finished spans, by name (throws when a name is missing, so a test says which). */
  spans(): ReadableSpan[];
  one(name: string): ReadableSpan;
  /** The finished spans whose parent is `parent`. */
  childrenOf(parent: ReadableSpan): ReadableSpan[];
  stop(): Promise<void>;
}

/** Registers a tracer provider, the async-hooks context manager and the W3C propagator globally. */
export function startInMemoryTracing(): InMemoryTracing {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const manager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
  return {
    exporter,
    spans,
    one(name) {
      const found = spans().filter((span) => span.name === name);
      if (found.length !== 1) throw new Error(`expected one span "${name}", found ${found.length} among ${spans().map((s) => s.name).join(', ')}`);
      return found[0] as ReadableSpan;
    },
    childrenOf(parent) {
      return spans().filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId);
    },
    async stop() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

/** Every attribute value of every span, as text: for "no argument value anywhere" checks. */
export function allAttributeText(spans: readonly ReadableSpan[]): string {
  return JSON.stringify(spans.map((span) => [span.attributes, span.events.map((event) => event.attributes), span.links.map((link) => link.attributes)]));
}
