export { defineTool } from './tool-definition.js';
export type { AnyToolDefinition, ApprovalPolicy, InProcessRunner, JsonSchemaToolDefinition, SandboxRunner, ToolContext, ToolDefinition, ToolHints, ToolProgress } from './tool-definition.js';
export { ToolRegistry } from './tool-registry.js';
export type { JsonSchema, RegisteredTool, ToolListing } from './tool-registry.js';
export type { ArgsCheckResult, DescribedSchema } from './tool-schema.js';
