// The UI's build. esbuild compiles the TSX itself (the automatic JSX
// runtime), so no framework plugin is needed; that keeps the tool chain
// small and working on Node 18.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  esbuild: { jsx: 'automatic' },
  build: {
    // Where the files go is the Makefile's choice (PIPELIT_UI_OUT_DIR);
    // `npm run build` alone writes www/dist.
    outDir: process.env.PIPELIT_UI_OUT_DIR || 'dist',
    emptyOutDir: true,
    target: 'es2020',
    sourcemap: false,
    // No inline scripts or styles beyond what the CSP allows (script-src 'self').
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    rollupOptions: {
      onwarn(warning, warn) {
        // React Server Components markers in libraries mean nothing to a
        // client-only build.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
