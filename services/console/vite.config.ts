// The console is served by the API under /console/; CodeMirror (rules) and uPlot (charts) are split into chunks
// of their own and loaded when a screen needs them, so the first load carries only Preact and the shell.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/console/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 600,
  },
});
