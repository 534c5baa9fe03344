import { defineConfig } from 'vite';

/**
 * The console page: `ui/` built into `web/`, which the plugin serves. Relative URLs (`base: './'`),
 * so the page works wherever the gateway is mounted; nothing inlined (no `data:` URLs, no inline
 * script), so the strict Content-Security-Policy holds; no module-preload polyfill (an inline helper).
 */
export default defineConfig({
  root: 'ui',
  base: './',
  build: {
    outDir: '../web',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'es2022',
    reportCompressedSize: false,
  },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
});
