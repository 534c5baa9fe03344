export { ANONYMOUS_CALLER, systemCaller } from './caller.js';
export type { Caller } from './caller.js';
export type { ToolCallContext, ToolCallExecuted, ToolCallOptions, ToolCallOutcome, ToolCallPending, ToolCallRequest } from './tool-call.js';
export { checkToolArgs } from './validate-args.js';
export type { ArgsCheck } from './validate-args.js';
