import type { ModelBenchBridge } from '../../shared/contract'

declare global {
  interface Window {
    /** Present inside Electron (set by the preload); absent in a browser. */
    modelbench?: ModelBenchBridge
  }
}
