// Vite config of the www demo page.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  // x402-wasm's browser entry instantiates its wasm with a top-level await, which needs ES2022
  // output: with Vite's default target (older Safari/Chrome), the build fails on it.
  build: { target: 'es2022' },
  // The dev server pre-bundles dependencies, which would lose the package's
  // `new URL('./x402_wasm_bg.wasm', import.meta.url)`: serve it as it is instead.
  optimizeDeps: { exclude: ['x402-wasm'] },
});
