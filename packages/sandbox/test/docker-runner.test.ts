import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerRunner, SandboxError } from '../src/index.js';
import { FakeDockerEngine } from './fake-docker-engine.js';

describe('DockerRunner against the Docker Engine API (fake engine on a Unix socket)', () => {
  let dir: string;
  let engine: FakeDockerEngine;
  let runner: DockerRunner;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fake-docker-'));
    engine = new FakeDockerEngine(join(dir, 'docker.sock'));
    await engine.listen();
    runner = new DockerRunner({ docker: new Docker({ socketPath: engine.socketPath }), image: 'python:3.11-slim', timeoutMs: 2000 });
  });
  afterAll(async () => {
    await engine.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a locked-down container, attaches, starts, sends the request on stdin and reads the answer', async () => {
    await expect(runner.run({ command: ['answer'], input: { text: 'hi' } })).resolves.toEqual({ text: 'hi' });
    const created = [...engine.containers.values()].at(-1);
    expect(created?.spec).toMatchObject({
      Image: 'python:3.11-slim',
      Cmd: ['answer'],
      User: '65534:65534',
      OpenStdin: true,
      StdinOnce: true,
      Tty: false,
      NetworkDisabled: true,
      HostConfig: {
        NetworkMode: 'none',
        ReadonlyRootfs: true,
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
        Privileged: false,
        Memory: 256 * 1024 * 1024,
        MemorySwap: 256 * 1024 * 1024,
        NanoCpus: 1e9,
        PidsLimit: 64,
        Tmpfs: { '/scratch': expect.stringMatching(/^rw,noexec,nosuid,nodev,size=64m$/) },
        AutoRemove: true,
      },
    });
    const sequence = engine.calls.map((c) => `${c.method} ${c.path.replace(/[0-9a-f]{32}/, ':id')}`);
    expect(sequence.slice(-4)).toEqual(['POST /containers/create', 'POST /containers/:id/attach', 'POST /containers/:id/wait', 'POST /containers/:id/start']);
    expect(engine.calls.find((c) => c.path.endsWith('/wait'))?.query).toContain('condition=next-exit');
    expect(engine.calls.find((c) => c.path.endsWith('/attach'))?.query).toMatch(/stdin=true.*stdout=true.*stderr=true|stream=true/);
    expect(created?.removed).toBe(true);
  });

  it("passes the container's own error through as a worker error", async () => {
    const error = await runner.run({ command: ['fail'], input: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SandboxError);
    expect(error).toMatchObject({ code: 'worker_error', workerCode: 'bad_input', message: 'cannot do that' });
  });

  it('kills a container that runs past the timeout', async () => {
    await expect(runner.run({ command: ['sleep'], input: {}, timeoutMs: 200 })).rejects.toMatchObject({ code: 'sandbox_timeout' });
    expect(engine.calls.at(-1)?.path).toMatch(/\/kill$/);
    expect([...engine.containers.values()].at(-1)?.exitCode).toBe(137);
  });

  it('a caller gone before the run starts no container at all', async () => {
    const before = engine.containers.size;
    const controller = new AbortController();
    controller.abort();
    await expect(runner.run({ command: ['sleep'], input: {}, signal: controller.signal })).rejects.toMatchObject({ code: 'sandbox_closed' });
    expect(engine.containers.size).toBe(before);
  });

  it('a caller leaving while the container is created is not made to wait for its timeout: the container is killed', async () => {
    const controller = new AbortController();
    // A minute's timeout: were the abort missed, the run would last that long (past this test's own timeout).
    const running = runner.run({ command: ['sleep'], input: {}, signal: controller.signal, timeoutMs: 60_000 });
    // Aborted at once, before the runner listens for it (it is still creating the container).
    controller.abort();
    await expect(running).rejects.toMatchObject({ code: 'sandbox_closed', message: expect.stringMatching(/stopped/) });
    const container = [...engine.containers.values()].at(-1);
    expect(container).toMatchObject({ exitCode: 137, removed: true });
  });

  it('a caller leaving while the container runs kills it', async () => {
    const controller = new AbortController();
    const running = runner.run({ command: ['sleep'], input: {}, signal: controller.signal, timeoutMs: 60_000 });
    await expect.poll(() => [...engine.containers.values()].at(-1)?.started, { timeout: 10_000 }).toBe(true);
    controller.abort();
    await expect(running).rejects.toMatchObject({ code: 'sandbox_closed' });
    expect([...engine.containers.values()].at(-1)?.exitCode).toBe(137);
  });

  it('kills a container whose output passes the cap', async () => {
    const capped = new DockerRunner({ docker: new Docker({ socketPath: engine.socketPath }), maxOutputBytes: 256 * 1024 });
    await expect(capped.run({ command: ['flood'], input: {} })).rejects.toMatchObject({ code: 'sandbox_output_too_large' });
  });

  it('reports a container that exits without answering as crashed', async () => {
    await expect(runner.run({ command: ['exit'], input: {} })).rejects.toMatchObject({ code: 'sandbox_crashed', message: expect.stringMatching(/code 3/) });
  });

  it('reports an unreachable engine clearly', async () => {
    const nowhere = new DockerRunner({ docker: new Docker({ socketPath: join(dir, 'missing.sock') }) });
    await expect(nowhere.run({ command: ['answer'], input: {} })).rejects.toMatchObject({
      code: 'sandbox_unavailable',
      message: expect.stringMatching(/could not create a container/),
    });
  });
});

const socketPath = process.env.DOCKER_HOST === undefined ? '/var/run/docker.sock' : undefined;
const engineReachable = process.env.DOCKER_HOST !== undefined || (socketPath !== undefined && existsSync(socketPath));
const image = process.env.SANDBOX_DOCKER_IMAGE ?? 'python:3.11-slim';
if (!engineReachable) {
  console.warn('skipped: DockerRunner against a real engine (no DOCKER_HOST and no /var/run/docker.sock on this machine)');
}

describe.skipIf(!engineReachable)(
  `DockerRunner against a real Docker engine (${engineReachable ? 'reachable' : 'skipped: no DOCKER_HOST and no /var/run/docker.sock on this machine'})`,
  () => {
    it('round-trips a protocol request through a real hardened container', async (context) => {
      const docker = socketPath === undefined ? new Docker() : new Docker({ socketPath });
      const images = await docker.listImages({ filters: { reference: [image] } }).catch(() => []);
      if (images.length === 0) {
        context.skip(`image ${image} is not present and this machine cannot pull it`);
        return;
      }
      const runner = new DockerRunner({ docker, image, timeoutMs: 30_000 });
      const script = 'import sys,json; r=json.loads(sys.stdin.readline()); print(json.dumps({"id": r["id"], "result": r["params"]}))';
      await expect(runner.run({ command: ['python3', '-c', script], input: { n: 1 } })).resolves.toEqual({ n: 1 });
    });
  },
);
