// Vite config of the www demo page.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  // x402-wasm's browser entry instantiates its wasm with a top-level await, which needs ES2022
  // output. Vite 7+ default targets allow it; Vite 6 and older (es2020, chrome87, safari14) fail
  // the build on it, so say it explicitly. The wasm itself needs no plugin: the package loads it with
  // `new URL('./x402_wasm_bg.wasm', import.meta.url)`, which Vite emits as a hashed asset.
  build: { target: 'es2022' },
});
