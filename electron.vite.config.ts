import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import react from '@vitejs/plugin-react'
import { defineConfig } from 'electron-vite'

const { version } = JSON.parse(readFileSync(resolve(__dirname, 'package.json'), 'utf8')) as { version: string }
const define = { __MODELBENCH_VERSION__: JSON.stringify(version) }

export default defineConfig({
  main: {
    define,
    build: {
      rollupOptions: {
        // index: the Electron main process; cli: the headless server and command line (plain Node);
        // trainer: the training process both of them start, replica-worker: its extra training threads;
        // verify-export: the export check's process.
        input: {
          index: resolve(__dirname, 'src/main/index.ts'),
          cli: resolve(__dirname, 'src/main/cli.ts'),
          trainer: resolve(__dirname, 'src/main/trainer-process.ts'),
          'replica-worker': resolve(__dirname, 'src/main/replica-worker.ts'),
          'verify-export': resolve(__dirname, 'src/main/export-runtime/verify.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      // A sandboxed preload must be a single CommonJS file.
      rollupOptions: { output: { format: 'cjs', entryFileNames: '[name].cjs' } },
    },
  },
  renderer: {
    define,
    plugins: [react()],
  },
})
