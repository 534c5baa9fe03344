/**
 * The part of a Docker client the runner uses, written out here instead of imported from dockerode:
 * dockerode is an optional peer, and a public type that names it would make every host that compiles
 * with `skipLibCheck: false` install it (and its types) to import core, which reaches these
 * declarations. A dockerode `Docker` satisfies these shapes as it is.
 */

/** What the runner sends to `createContainer` (the Docker Engine API's container config). */
export interface DockerContainerSpec {
  readonly Image: string;
  readonly Cmd: string[];
  readonly User: string;
  readonly WorkingDir: string;
  readonly Env: string[];
  readonly AttachStdin: boolean;
  readonly AttachStdout: boolean;
  readonly AttachStderr: boolean;
  readonly OpenStdin: boolean;
  readonly StdinOnce: boolean;
  readonly Tty: boolean;
  readonly NetworkDisabled: boolean;
  readonly Labels: Record<string, string>;
  readonly HostConfig: {
    readonly NetworkMode: string;
    readonly ReadonlyRootfs: boolean;
    readonly CapDrop: string[];
    readonly SecurityOpt: string[];
    readonly Privileged: boolean;
    readonly Memory: number;
    readonly MemorySwap: number;
    readonly NanoCpus: number;
    readonly PidsLimit: number;
    readonly Tmpfs: Record<string, string>;
    readonly AutoRemove: boolean;
  };
}

/** One created container, as the runner drives it. */
export interface DockerContainer {
  /** Resolves to the hijacked stdin/stdout stream (a Duplex) when `hijack` is set. */
  attach(options: { stream: boolean; stdin: boolean; stdout: boolean; stderr: boolean; hijack: boolean }): Promise<unknown>;
  /** Resolves to `{ StatusCode }` once the container exits. */
  wait(options: { condition: 'next-exit' }): Promise<unknown>;
  /** Starts the container. */
  start(): Promise<unknown>;
  /** Kills the container (on timeout or abort). */
  kill(): Promise<unknown>;
  /** Removes the container. */
  remove(options: { force: boolean }): Promise<unknown>;
}

/** A Docker client: a dockerode `Docker`, or anything with its `createContainer`. */
export interface DockerClient {
  /** Creates (does not start) a container from the spec. */
  createContainer(spec: DockerContainerSpec): Promise<DockerContainer>;
}
