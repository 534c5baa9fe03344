import { defineConfig, type Options } from 'tsup';

/**
 * One build shape for every package: ESM + CJS with declarations.
 * `splitting: true` keeps classes in shared chunks, so the CJS build of a package with several
 * entries does not hold two copies of a class (which would break `instanceof GatewayError`).
 */
export function packageBuild(entry: Options['entry'] = ['src/index.ts']): ReturnType<typeof defineConfig> {
  return defineConfig({
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    splitting: true,
    target: 'node20',
    platform: 'node',
    // `import.meta.url` in the CJS build (the sandbox finds its bundled worker with it).
    shims: true,
  });
}
