import { defineConfig } from 'tsup';

/**
 * The `agent-gateway` command (package.json "bin") and the entry that runs its commands from code.
 * ESM only: the command is the point, and Node 20.19+ lets CommonJS code `require()` it anyway. The
 * example server it runs lives in two private workspaces (the shared runner and demo tools, the
 * Express app); they are bundled in, so `npm start` and `agent-gateway serve` run the same code while
 * the published package depends only on published ones.
 */
export default defineConfig({
  entry: { index: 'src/index.ts', cli: 'src/cli.ts' },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: false,
  clean: true,
  // Two entries, one copy of the runner and its state between them.
  splitting: true,
  target: 'node20',
  platform: 'node',
  noExternal: ['@agent-gateway-examples/demo-tools', '@agent-gateway-examples/express-server'],
});
