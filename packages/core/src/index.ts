/**
 * The public surface of `@agent-gateway/core`, named one by one: what a host that embeds the
 * gateway, configures it or implements one of its stores needs. What route, plugin and adapter
 * authors need is in `@agent-gateway/core/http`. Anything not listed here is internal and may
 * change in any release (`test/public-surface.test.ts` keeps this list honest).
 *
 * @module @agent-gateway/core
 */

// The gateway and how it is built
export { Gateway } from './gateway.js';
export type { GatewayOptions } from './gateway.js';
export type { GatewayServices } from './services.js';
export { createGatewayFromConfig } from './create-gateway.js';
export type { CreateGatewayOptions } from './create-gateway.js';
export type { GatewayPlugin } from './plugins/index.js';
export { answerClientError } from './http/client-errors.js';
export type { GatewayRequest, GatewayResponse, HandleOptions, UnmatchedRequests } from './http/types.js';
export type { NodeRequestOptions } from './http/node.js';

// Configuration
export { configFromEnv, ENV_VARIABLES, SecretValue } from './config/index.js';
export type { Env, EnvVariableDoc, EnvVariableName, GatewayConfig, OidcConfig } from './config/index.js';

// Tools and the pipeline
export { defineTool, ToolRegistry } from './tools/index.js';
export type {
  AnyToolDefinition,
  ApprovalPolicy,
  ArgsCheckResult,
  DescribedSchema,
  InProcessRunner,
  JsonSchema,
  JsonSchemaToolDefinition,
  RegisteredTool,
  SandboxRunner,
  ToolContext,
  ToolDefinition,
  ToolHints,
  ToolListing,
  ToolProgress,
} from './tools/index.js';
export { ANONYMOUS_CALLER, checkToolArgs, systemCaller } from './pipeline/index.js';
export type { ArgsCheck, Caller, ToolCallContext, ToolCallExecuted, ToolCallOptions, ToolCallOutcome, ToolCallPending, ToolCallRequest } from './pipeline/index.js';

// Errors
export {
  AuditUnavailableError,
  AuthBusyError,
  BadRequestError,
  ConfigError,
  ConflictError,
  ERROR_STATUS,
  failureOf,
  ForbiddenError,
  GatewayError,
  IdentityProviderUnavailableError,
  InternalError,
  InvalidArgsError,
  InvalidCredentialsError,
  InvalidJsonError,
  InvalidTokenError,
  isGatewayError,
  isGatewayErrorCode,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  TooManyAttemptsError,
  ToolError,
  ToolFailedError,
  ToolNotAllowedError,
  ToolNotFoundError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
} from './errors/index.js';
export type { ErrorBody, ErrorIssue, GatewayErrorCode, GatewayErrorCodeWithStatus, GatewayErrorOptions, ToolErrorOptions } from './errors/index.js';
export { HeadersTooLargeError, RequestTimeoutError } from './http/client-errors.js';

// Users and tokens
export {
  DEFAULT_ISSUER,
  EXTERNAL_ALGORITHMS,
  FileRevocationStore,
  FileUserStore,
  mayCallTools,
  MemoryRevocationStore,
  MemoryUserStore,
  normalizeUsername,
  OWASP_SCRYPT_PARAMS,
  ROLES,
  roleSchema,
  sameUsername,
  storedUserSchema,
  TokenService,
  userRecordSchema,
} from './auth/index.js';
export type {
  Actor,
  ExternalAlgorithm,
  ExternalIssuerOptions,
  HashSlotOptions,
  LoginAdmission,
  LoginAttempt,
  LoginThrottleOptions,
  LoginThrottleStore,
  NewUser,
  RevocationSnapshot,
  RevocationStore,
  RevokeTarget,
  Role,
  ScryptParams,
  SignedToken,
  SigningKey,
  StoredUser,
  ThrottleRule,
  TokenClaims,
  TokenPair,
  TokenServiceOptions,
  TokenType,
  UserRecord,
  UserStore,
  UserView,
} from './auth/index.js';

// Approvals
export {
  AlreadyApprovedError,
  ApprovalConflictError,
  ApprovalDigestMismatchError,
  ApprovalExpiredError,
  ApprovalQueue,
  ApprovalRejectedError,
  FINAL_STATES,
  MemoryApprovalStore,
  SelfApprovalError,
  settledResult,
  webhookSignature,
} from './approvals/index.js';
export type {
  Approval,
  ApprovalChange,
  ApprovalDecision,
  ApprovalEventType,
  ApprovalFeed,
  ApprovalFeedChange,
  ApprovalFeedListener,
  ApprovalQueueEvents,
  ApprovalQueueOptions,
  ApprovalState,
  ApprovalStore,
  ApprovalSummary,
  ApprovalView,
  ApprovedCallRunner,
  ApprovalVote,
  TransitionResult,
  VoteResult,
  WebhookOptions,
} from './approvals/index.js';

// Policies
export { checkPolicy, InvalidPolicyError, Policies, PolicyDeniedError, policyToolOf, PolicyUnavailableError } from './policy/index.js';
export type { PolicyCheckAnswer, PolicyCheckInput, PolicyDecision, PolicyEngine, PolicyEngineContext, PolicyRequest, PolicySetInfo, PolicyTool } from './policy/index.js';

// The audit log
export { auditCheckpointSchema, auditEntrySchema, AuditLog, canonicalJson, GENESIS_HASH, REDACTED, runAuditCommand, scrubSecrets, verifyAuditLog, verifyChain } from './audit/index.js';
export type {
  AuditActor,
  AuditCheckpoint,
  AuditCommandIo,
  AuditEntry,
  AuditLogOptions,
  AuditSink,
  BrokenEntry,
  CheckpointSink,
  CheckpointStatus,
  Incident,
  TailFilter,
  VerifyAuditLogOptions,
  VerifyReport,
} from './audit/index.js';

// Guards, redaction and secrets
export { ContentBlockedError, ContentFilter, contentRuleSchema, KillSwitch, KillSwitchOnError, killSwitchStateSchema, MemoryRateLimitStore, RateLimitedError, RateLimiter } from './guards/index.js';
export type { BucketSpec, ContentFilterOptions, ContentRule, ContentRuleInput, ContentRuleStore, KillSwitchOptions, KillSwitchState, KillSwitchStore, RateLimitOptions, RateLimitStore } from './guards/index.js';
export type { GuardSettings } from './guards/guard-settings.js';
export { FileRedactionRuleStore, isSecretKey, MemoryRedactionRuleStore, normalizeOrigin, RedactionRules, scrubSecretText } from './redaction/index.js';
export type { RedactionRuleStore, TabSnapshot } from './redaction/index.js';
export type { TabSharing, TabShareInput } from './redaction/tab-sharing.js';
export { EnvSecretStore, envVariableFor, PROVIDER_NAME, SecretNotAllowedError, SecretNotFoundError, SecretUnavailableError } from './secrets/index.js';
export type { ProviderInfo, ProviderSecret, ScopedSecrets, SecretAccessor, SecretStore } from './secrets/index.js';

// The scheduler
export { FileTaskStore, InvalidTaskError, inProcessTaskLease, MAX_INTERVAL_MS, MemoryTaskStore, MIN_INTERVAL_MS, Scheduler, taskInputSchema } from './scheduler/index.js';
export type { Schedule, SchedulerOptions, TaskChange, TaskDefinition, TaskInput, TaskLease, TaskRun, TaskStore, TaskView } from './scheduler/index.js';

// Sandboxes (re-exported from @agent-gateway/sandbox, so one install gives the whole gateway)
export {
  BUNDLED_WORKER_PATH,
  detectBwrap,
  DockerRunner,
  IN_PROCESS_STATUS,
  killProcessGroup,
  SandboxError,
  SandboxPool,
} from './sandbox/index.js';
export type { ContainerRunner, DockerRunnerOptions, IsolationReport, SandboxHealth, SandboxPoolOptions, WorkerPool, WorkerPoolStatus } from './sandbox/index.js';

// Events, metrics, logging, timers
export { GatewayEvents } from './events/index.js';
export type {
  GatewayEventMap,
  GatewayEventName,
  LoginEvent,
  LoginFailedEvent,
  RefreshedEvent,
  RefreshReusedEvent,
  TokenRevokedEvent,
  ToolCallEvent,
  ToolCallFailedEvent,
  ToolRegisteredEvent,
  UserCreatedEvent,
  UserDeletedEvent,
} from './events/index.js';
export { GATEWAY_METRIC_NAMES, GatewayMetrics, RUNBOOK_METRIC_NAMES, type MetricsOptions } from './metrics/index.js';
export { createJsonLogger, scrubbingLogger, silentLogger } from './logging/index.js';
export type { LogFields, Logger } from './logging/index.js';
// Tracing (OpenTelemetry, through its API only: the host registers the SDK)
export { tracePolicyIds } from './tracing/index.js';
export type { TraceCarrier, TracingOptions } from './tracing/index.js';
export { clampDelay, MAX_TIMER_DELAY_MS, setLongTimeout } from './timers/index.js';
export type { LongTimeout, LongTimeoutOptions } from './timers/index.js';
