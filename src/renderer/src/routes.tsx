/** The app's pages, in navigation order. */
export interface PageInfo {
  id: 'projects' | 'data' | 'model' | 'train' | 'runs' | 'export' | 'engine'
  label: string
  needsProject: boolean
  /** What the page does, shown when it needs a project and none is open. */
  purpose: string
}

export const pages: readonly PageInfo[] = [
  { id: 'projects', label: 'Projects', needsProject: false, purpose: 'Create, open, rename and delete projects.' },
  {
    id: 'data',
    label: 'Data',
    needsProject: true,
    purpose: 'Import a folder of images or a CSV file, label it with the keyboard and split it for training.',
  },
  {
    id: 'model',
    label: 'Model',
    needsProject: true,
    purpose: 'Stack layers by drag and drop, with output shapes and parameter counts shown as you go.',
  },
  {
    id: 'train',
    label: 'Train',
    needsProject: true,
    purpose: 'Choose settings, press Train and watch loss and accuracy live.',
  },
  {
    id: 'runs',
    label: 'Runs',
    needsProject: true,
    purpose: 'Every run with its settings and results; compare runs side by side and study the mistakes.',
  },
  {
    id: 'export',
    label: 'Export',
    needsProject: true,
    purpose: 'Export a trained model to TF.js or ONNX, verified to predict the same, with a model card.',
  },
  { id: 'engine', label: 'Engine & GPU', needsProject: false, purpose: 'Which engine trains here, and what the GPU needs.' },
]

export type PageId = PageInfo['id']

export function pageFromHash(hash: string): PageId {
  const id = hash.replace(/^#\/?/, '').split(/[/?]/)[0]
  return pages.find((p) => p.id === id)?.id ?? 'projects'
}
