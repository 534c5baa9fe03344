import { defineConfig, type Options } from 'tsup';

/**
 * One build shape for every package: ES modules with declarations, and no CommonJS copy.
 * The packages need Node 20.19+, where `require()` loads an ES module, so a CommonJS host gets this
 * same build: one copy of each class and of each module's state in a process that both imports and
 * requires a package (two builds made two `ToolError`s, and a gateway answered one from the other
 * copy as a 500). `splitting: true` keeps the entries of a package on shared chunks for the same reason.
 * Source maps map stack traces to the sources without carrying them (`sourcesContent: false`).
 */
export function packageBuild(entry: Options['entry'] = ['src/index.ts']): ReturnType<typeof defineConfig> {
  return defineConfig({
    entry,
    format: ['esm'],
    // `npm start` on a fresh clone builds JavaScript only (AGENT_GATEWAY_BUILD_DTS=0): the example runs
    // on it, and the declarations were most of the first start's wait. `npm run build` makes both.
    dts: process.env.AGENT_GATEWAY_BUILD_DTS !== '0',
    sourcemap: true,
    esbuildOptions(options) {
      options.sourcesContent = false;
    },
    clean: true,
    splitting: true,
    target: 'node20',
    platform: 'node',
  });
}
