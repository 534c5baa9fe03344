import { Counter, Gauge, Histogram, Registry, type OpenMetricsContentType, type PrometheusContentType } from 'prom-client';
import { IN_PROCESS_STATUS, type WorkerPoolStatus } from '../sandbox/worker-pool.js';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** How the gateway's metrics are exposed. */
export interface MetricsOptions {
  /**
   * Serve `/metrics` in the OpenMetrics text format, with an exemplar on `tool_call_duration_seconds`
   * carrying the call's `trace_id` (when it ran inside an OpenTelemetry trace), so a latency bucket
   * leads to a trace. Default false: the Prometheus text format, as the runbook's scrapers read it.
   */
  readonly openMetrics?: boolean;
}

/**
 * Every metric of the runbook's table, in a prom-client Registry owned by one Gateway, so two
 * gateways in one process never share or collide on a metric. All are registered up front: a
 * scrape lists each of them even before it has a value.
 */
export class GatewayMetrics {
  /** Where every metric is registered; other packages add theirs here (`registers: [registry]`). */
  readonly registry: Registry<PrometheusContentType> | Registry<OpenMetricsContentType>;
  readonly #exemplars: boolean;
  readonly #startedAt = process.hrtime.bigint();
  #workerStatus: () => Promise<WorkerPoolStatus> = async () => IN_PROCESS_STATUS;
  #pendingWorkerStatus: Promise<WorkerPoolStatus> | undefined;
  #killSwitch: () => boolean = () => false;
  #providers: () => Promise<ReadonlyArray<{ name: string; expiresAt?: string }>> = async () => [];

  readonly processUptime: Gauge;
  readonly toolCalls: Counter<'tool'>;
  /** Observed through `observeToolCall`, which adds the exemplar when there is one. */
  readonly toolCallDuration: Histogram<'tool' | 'trace_id'>;
  readonly toolValidationErrors: Counter<'tool'>;
  readonly approvalsQueued: Counter;
  readonly workerHealthy: Gauge;
  readonly workerPoolAlive: Gauge;
  readonly workerPoolSize: Gauge;
  readonly schedulerTasks: Gauge;
  readonly schedulerRuns: Counter<'task'>;
  readonly schedulerErrors: Counter<'task'>;
  readonly schedulerRunDuration: Histogram<'task'>;
  readonly killSwitchEnabled: Gauge;
  readonly providerKeyExpiry: Gauge<'provider'>;

  constructor(options: MetricsOptions = {}) {
    this.#exemplars = options.openMetrics === true;
    if (this.#exemplars) {
      const openMetrics = new Registry<OpenMetricsContentType>();
      openMetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
      this.registry = openMetrics;
    } else {
      this.registry = new Registry();
    }
    const registers = [this.registry];
    const startedAt = this.#startedAt;
    const metrics = this;

    this.processUptime = new Gauge({
      name: 'process_uptime_seconds',
      help: 'Seconds since gateway started',
      registers,
      collect() {
        this.set(Number(process.hrtime.bigint() - startedAt) / 1e9);
      },
    });
    this.toolCalls = new Counter({
      name: 'tool_calls_total',
      help: 'Total tool call attempts, labelled by tool',
      labelNames: ['tool'],
      registers,
    });
    this.toolCallDuration = new Histogram({
      name: 'tool_call_duration_seconds',
      help: 'Per-tool call latency',
      labelNames: ['tool'],
      buckets: LATENCY_BUCKETS,
      registers,
      enableExemplars: this.#exemplars,
    });
    this.toolValidationErrors = new Counter({
      name: 'tool_validation_errors_total',
      help: 'Schema validation failures, labelled by tool',
      labelNames: ['tool'],
      registers,
    });
    this.approvalsQueued = new Counter({
      name: 'approvals_queued_total',
      help: 'Calls sent to the approval queue',
      registers,
    });
    // prom-client collects gauges concurrently; the three share one health check per scrape.
    this.workerHealthy = new Gauge({
      name: 'worker_healthy',
      help: '1 if sandbox worker passes health check',
      registers,
      async collect() {
        this.set((await metrics.#readWorkerStatus()).healthy ? 1 : 0);
      },
    });
    this.workerPoolAlive = new Gauge({
      name: 'worker_pool_alive',
      help: 'Number of alive pool workers',
      registers,
      async collect() {
        this.set((await metrics.#readWorkerStatus()).alive);
      },
    });
    this.workerPoolSize = new Gauge({
      name: 'worker_pool_size',
      help: 'Configured pool size',
      registers,
      async collect() {
        this.set((await metrics.#readWorkerStatus()).size);
      },
    });
    this.schedulerTasks = new Gauge({
      name: 'scheduler_tasks_total',
      help: 'Number of registered scheduled tasks',
      registers,
    });
    this.schedulerRuns = new Counter({
      name: 'scheduler_runs_total',
      help: 'Total scheduler task executions, labelled by task',
      labelNames: ['task'],
      registers,
    });
    this.schedulerErrors = new Counter({
      name: 'scheduler_errors_total',
      help: 'Scheduler task failures, labelled by task',
      labelNames: ['task'],
      registers,
    });
    this.schedulerRunDuration = new Histogram({
      name: 'scheduler_run_duration_seconds',
      help: 'Per-task execution latency, labelled by task',
      labelNames: ['task'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.providerKeyExpiry = new Gauge({
      name: 'provider_key_expiry_seconds',
      help: 'Seconds until a provider key expires (negative: expired), labelled by provider',
      labelNames: ['provider'],
      registers,
      async collect() {
        this.reset();
        let providers: ReadonlyArray<{ name: string; expiresAt?: string }>;
        try {
          providers = await metrics.#providers();
        } catch {
          return; // the store is down; /health says so
        }
        for (const provider of providers) {
          if (provider.expiresAt !== undefined) this.set({ provider: provider.name }, Math.round((Date.parse(provider.expiresAt) - Date.now()) / 1000));
        }
      },
    });
    this.killSwitchEnabled = new Gauge({
      name: 'kill_switch_enabled',
      help: '1 while the kill switch refuses every tool call',
      registers,
      collect() {
        this.set(metrics.#killSwitch() ? 1 : 0);
      },
    });
  }

  #readWorkerStatus(): Promise<WorkerPoolStatus> {
    this.#pendingWorkerStatus ??= this.#workerStatus().finally(() => {
      this.#pendingWorkerStatus = undefined;
    });
    return this.#pendingWorkerStatus;
  }

  /** Where `provider_key_expiry_seconds` reads the providers' expiry dates from at scrape time. */
  readProvidersFrom(source: () => Promise<ReadonlyArray<{ name: string; expiresAt?: string }>>): void {
    this.#providers = source;
  }

  /** Where `kill_switch_enabled` reads from at scrape time. */
  readKillSwitchFrom(source: () => boolean): void {
    this.#killSwitch = source;
  }

  /** Where the worker gauges read from at scrape time (the gateway wires its pool in here). */
  readWorkerStatusFrom(source: () => Promise<WorkerPoolStatus>): void {
    this.#workerStatus = source;
  }

  /** The Prometheus text exposition of every metric. */
  /** One tool call's latency; with OpenMetrics, its trace id as the bucket's exemplar. */
  observeToolCall(tool: string, seconds: number, traceId: string | undefined): void {
    if (!this.#exemplars) {
      this.toolCallDuration.observe({ tool }, seconds);
      return;
    }
    this.toolCallDuration.observe({ labels: { tool }, value: seconds, ...(traceId === undefined ? {} : { exemplarLabels: { trace_id: traceId } }) });
  }

  /** The `/metrics` answer: every metric, in the registry's format (Prometheus text, or OpenMetrics). */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** Metrics the gateway adds to the runbook's table. */
export const GATEWAY_METRIC_NAMES = ['kill_switch_enabled', 'provider_key_expiry_seconds'] as const;

/** The runbook's metric names, in its table's order. */
export const RUNBOOK_METRIC_NAMES = [
  'process_uptime_seconds',
  'tool_calls_total',
  'tool_call_duration_seconds',
  'tool_validation_errors_total',
  'approvals_queued_total',
  'worker_healthy',
  'worker_pool_alive',
  'worker_pool_size',
  'scheduler_tasks_total',
  'scheduler_runs_total',
  'scheduler_errors_total',
  'scheduler_run_duration_seconds',
] as const;
