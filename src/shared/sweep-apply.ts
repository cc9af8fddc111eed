/**
 * What a sweep parameter's path sets, and applying a trial's values to the base settings. Shared by the
 * core (to run trials) and the Train page (to offer settings and to "use best settings").
 */
import type { LayerSpec, ModelSpec } from './model/types'
import type { SweepParam, TrialParams } from './sweep'
import { optimizerInfo, type HyperparametersInput, type OptimizerName } from './training'

/** Hyperparameters a sweep can vary, with how they vary by default. */
export const sweepableHyperparameters: Array<{ path: string; label: string; param: SweepParam }> = [
  {
    path: 'learningRate',
    label: 'Learning rate',
    param: { path: 'learningRate', kind: 'float', low: 0.0001, high: 0.01, log: true, gridPoints: 3 },
  },
  { path: 'batchSize', label: 'Batch size', param: { path: 'batchSize', kind: 'categorical', choices: [16, 32, 64] } },
  {
    path: 'optimizer',
    label: 'Optimizer',
    param: {
      path: 'optimizer',
      kind: 'categorical',
      choices: (Object.keys(optimizerInfo) as OptimizerName[]).filter((o) => optimizerInfo[o].sweep),
    },
  },
  { path: 'epochs', label: 'Epochs', param: { path: 'epochs', kind: 'int', low: 2, high: 6, step: 2 } },
  {
    path: 'momentum',
    label: 'Momentum (SGD)',
    param: { path: 'momentum', kind: 'float', low: 0.5, high: 0.95, log: false, gridPoints: 3 },
  },
  {
    path: 'augmentation.rotation',
    label: 'Augmentation: rotation (°)',
    param: { path: 'augmentation.rotation', kind: 'int', low: 0, high: 20, step: 5 },
  },
  {
    path: 'augmentation.zoom',
    label: 'Augmentation: zoom',
    param: { path: 'augmentation.zoom', kind: 'float', low: 0, high: 0.2, log: false, gridPoints: 3 },
  },
  {
    path: 'augmentation.brightness',
    label: 'Augmentation: brightness',
    param: { path: 'augmentation.brightness', kind: 'float', low: 0, high: 0.3, log: false, gridPoints: 3 },
  },
  {
    path: 'augmentation.flip',
    label: 'Augmentation: flip',
    param: { path: 'augmentation.flip', kind: 'categorical', choices: ['none', 'horizontal'] },
  },
]

/** How each layer setting varies by default, from its current value. */
const layerSettings: Record<string, (current: unknown) => object> = {
  units: (v) => ({
    kind: 'int',
    low: Math.max(1, Math.round(Number(v) / 2)),
    high: Number(v) * 2,
    step: Math.max(1, Math.round(Number(v) / 2)),
  }),
  filters: (v) => ({
    kind: 'int',
    low: Math.max(1, Math.round(Number(v) / 2)),
    high: Number(v) * 2,
    step: Math.max(1, Math.round(Number(v) / 2)),
  }),
  rate: () => ({ kind: 'float', low: 0.1, high: 0.5, log: false, gridPoints: 3 }),
  kernelSize: () => ({ kind: 'categorical', choices: [3, 5] }),
  activation: () => ({ kind: 'categorical', choices: ['relu', 'elu', 'tanh'] }),
  // A pretrained backbone: frozen, or its last one or two blocks fine-tuned.
  trainableBlocks: () => ({ kind: 'categorical', choices: [0, 1, 2] }),
}

/** The layer settings of a spec that a sweep can vary, and each layer's presence. */
export function sweepableLayerSettings(spec: ModelSpec): Array<{ path: string; label: string; param: SweepParam }> {
  const out: Array<{ path: string; label: string; param: SweepParam }> = []
  spec.layers.forEach((layer, i) => {
    const config = layer.config as Record<string, unknown>
    for (const [key, make] of Object.entries(layerSettings)) {
      if (!(key in config)) continue
      // The output layer's units and activation are fixed by the data.
      if (i === spec.layers.length - 1 && (key === 'units' || key === 'activation')) continue
      out.push({
        path: `layers.${i}.${key}`,
        label: `Layer ${i + 1} ${layer.type}: ${key}`,
        param: { path: `layers.${i}.${key}`, ...make(config[key]) } as SweepParam,
      })
    }
    // A backbone is what the rest of the stack stands on: always there.
    if (i < spec.layers.length - 1 && layer.type !== 'Pretrained')
      out.push({
        path: `layers.${i}.present`,
        label: `Layer ${i + 1} ${layer.type}: present`,
        param: { path: `layers.${i}.present`, kind: 'categorical', choices: [true, false] },
      })
  })
  return out
}

const hyperparameterPaths = new Set(sweepableHyperparameters.map((h) => h.path))

/** Why a path cannot be swept over this spec, or null. */
export function pathProblem(path: string, spec: ModelSpec): string | null {
  if (hyperparameterPaths.has(path)) return null
  const m = /^layers\.(\d+)\.(\w+)$/.exec(path)
  if (!m) return `${path} is not a setting a sweep can vary`
  const index = Number(m[1])
  const layer = spec.layers[index]
  if (!layer) return `${path}: the architecture has no layer ${index + 1}`
  if (m[2] === 'present') return null
  if (!(m[2]! in (layer.config as Record<string, unknown>)))
    return `${path}: a ${layer.type} layer has no setting “${m[2]}”`
  return null
}

/** The base settings with a trial's values applied; layers whose `present` is false are left out. */
export function applyTrialParams(
  spec: ModelSpec,
  hyperparameters: HyperparametersInput,
  params: TrialParams,
): { spec: ModelSpec; hyperparameters: HyperparametersInput } {
  const hp = structuredClone(hyperparameters) as Record<string, unknown>
  const layers: Array<LayerSpec | null> = spec.layers.map((l) => structuredClone(l))
  for (const [path, value] of Object.entries(params)) {
    const m = /^layers\.(\d+)\.(\w+)$/.exec(path)
    if (m) {
      const layer = layers[Number(m[1])]
      if (!layer) continue
      if (m[2] === 'present') {
        if (value === false) layers[Number(m[1])] = null
        continue
      }
      const config = layer.config as Record<string, unknown>
      config[m[2]!] = Array.isArray(config[m[2]!]) && typeof value === 'number' ? [value, value] : value
      continue
    }
    const [head, key] = path.split('.') as [string, string | undefined]
    if (key) hp[head] = { ...((hp[head] as Record<string, unknown> | undefined) ?? {}), [key]: value }
    else hp[head] = value
  }
  return {
    spec: { ...spec, layers: layers.filter((l): l is LayerSpec => l !== null) },
    hyperparameters: hp as HyperparametersInput,
  }
}
