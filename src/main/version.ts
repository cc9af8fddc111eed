/** The app version, injected at build time from package.json (see electron.vite.config.ts). */
declare const __MODELBENCH_VERSION__: string

export const appVersion: string = typeof __MODELBENCH_VERSION__ === 'string' ? __MODELBENCH_VERSION__ : '0.0.0-dev'
