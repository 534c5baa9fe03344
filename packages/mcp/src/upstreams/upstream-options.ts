import { z } from 'zod';

/** A tool name or a glob where `*` stands for any run of characters (`read_*`, `*`). */
const toolPattern = z.string().min(1).max(128);

/** An environment variable's name, as POSIX shells write them. */
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name such as API_TOKEN');

/** An HTTP header's name (RFC 9110 token). */
const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'an HTTP header name such as Authorization');

const milliseconds = (max: number) => z.number().int().min(1).max(max);

const stdioTransport = z
  .object({
    kind: z.literal('stdio'),
    /** The program to run: an absolute path, or a name looked up on PATH. */
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    /** The child's whole environment besides PATH (and the credentials): nothing else of the gateway's is passed on. */
    env: z.record(envName, z.string()).default({}),
    cwd: z.string().min(1).optional(),
  })
  .strict();

const httpTransport = z
  .object({
    kind: z.literal('http'),
    /** The server's Streamable HTTP endpoint. */
    url: z.url({ protocol: /^https?$/ }),
    headers: z.record(headerName, z.string()).default({}),
  })
  .strict();

/** A secret from the gateway's SecretStore, put into the child's environment or an HTTP header. */
const credential = z.union([
  z.object({ secret: z.string().min(1), env: envName }).strict(),
  z.object({ secret: z.string().min(1), header: headerName, prefix: z.string().default('') }).strict(),
]);

/**
 * The zod schema of one MCP upstream (as `MCP_UPSTREAMS_FILE` lists them): name, transport, credentials, tool
 * filters, approval and roles.
 */
export const upstreamConfigSchema = z
  .object({
    /** The namespace: tools are registered as `<name>.<tool>`. */
    name: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'letters, digits, _ and -, starting with a letter'),
    transport: z.discriminatedUnion('kind', [stdioTransport, httpTransport]),
    credentials: z.array(credential).default([]),
    /** Which of the upstream's tools to expose, by their names on the upstream: `deny` wins over `allow`. */
    tools: z.object({ allow: z.array(toolPattern).optional(), deny: z.array(toolPattern).default([]) }).strict().default({ deny: [] }),
    /**
     * Which calls wait for a person: `require` always, `exempt` never; every other tool is held
     * unless its annotations say `readOnlyHint: true` and not `destructiveHint: true`.
     */
    approval: z.object({ require: z.array(toolPattern).default([]), exempt: z.array(toolPattern).default([]) }).strict().default({ require: [], exempt: [] }),
    /**
     * How long a call may go without word from the upstream: each progress notification it sends
     * starts the wait again. `toolTimeouts` overrides it for tools matching a glob (the first match wins).
     */
    timeoutMs: milliseconds(3_600_000).default(60_000),
    toolTimeouts: z.record(toolPattern, milliseconds(3_600_000)).default({}),
    /** However much progress it reports, no call runs longer than this (or than its own timeout, if that is longer). */
    totalTimeoutMs: milliseconds(3_600_000).default(600_000),
    /** Who may see and call these tools; every role that calls tools when absent. */
    roles: z.array(z.enum(['admin', 'agent'])).min(1).optional(),
    /**
     * Run a stdio upstream inside bubblewrap: the file system read-only but for `writable` (relative
     * to its cwd), no network unless `network`, its own pid namespace. `required` (default): no
     * bubblewrap, no start; else it runs unconfined and `/health/upstreams` says so.
     */
    sandbox: z
      .object({ writable: z.array(z.string().min(1)).default([]), network: z.boolean().default(false), required: z.boolean().default(true) })
      .strict()
      .optional(),
    /** `eager`: started with the gateway. `lazy`: started to list its tools, then stopped until a call needs it. */
    start: z.enum(['eager', 'lazy']).default('eager'),
    /** `auto` probes for the 2026 protocol and falls back to the 2025 handshake; `legacy` goes straight to it. */
    protocol: z.enum(['auto', 'legacy']).default('auto'),
    connectTimeoutMs: milliseconds(600_000).default(20_000),
    /** Restarts after a crash wait `initialMs`, doubling up to `maxMs`; a connection that stays up resets it. */
    restart: z
      .object({ initialMs: milliseconds(600_000).default(250), maxMs: milliseconds(3_600_000).default(30_000) })
      .strict()
      .default({ initialMs: 250, maxMs: 30_000 }),
  })
  .strict();

/** One upstream MCP server, as written in code or in `MCP_UPSTREAMS_FILE`. */
export type UpstreamConfig = z.input<typeof upstreamConfigSchema>;
/** The same with every default filled in. */
export type ResolvedUpstream = z.output<typeof upstreamConfigSchema>;
export type StdioTransportConfig = z.output<typeof stdioTransport>;
export type HttpTransportConfig = z.output<typeof httpTransport>;
export type CredentialConfig = z.output<typeof credential>;

/** Types one upstream's configuration where it is written; it returns it unchanged. */
export function mcpUpstream(config: UpstreamConfig): UpstreamConfig {
  return config;
}
