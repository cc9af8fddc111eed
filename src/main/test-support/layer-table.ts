import type { LayerType, Shape } from '../../shared/model/types'

/** Many configurations of every layer type, each on an input it suits. */
export const layerTable: Array<{ input: Shape; layer: { type: LayerType; config: Record<string, unknown> } }> = [
  { input: [8, 8, 3], layer: { type: 'Rescaling', config: { scale: 0.5, offset: -1 } } },
  { input: [10], layer: { type: 'Rescaling', config: {} } },
  ...[
    { filters: 4, kernelSize: 3 },
    { filters: 7, kernelSize: [2, 5], strides: [2, 1] },
    { filters: 5, kernelSize: 3, strides: 2, padding: 'same' },
    { filters: 3, kernelSize: 1, useBias: false },
    { filters: 6, kernelSize: 4, strides: 3, padding: 'valid', activation: 'tanh' },
  ].map((config) => ({ input: [11, 13, 2] as Shape, layer: { type: 'Conv2D' as const, config } })),
  ...[
    {},
    { poolSize: 3 },
    { poolSize: [2, 3], strides: 1 },
    { poolSize: 2, padding: 'same' },
    { poolSize: 3, strides: 2, padding: 'same' },
  ].flatMap((config) => [
    { input: [11, 9, 4] as Shape, layer: { type: 'MaxPooling2D' as const, config } },
    { input: [11, 9, 4] as Shape, layer: { type: 'AveragePooling2D' as const, config } },
  ]),
  { input: [5, 6, 7], layer: { type: 'GlobalAveragePooling2D', config: {} } },
  { input: [5, 6, 7], layer: { type: 'Flatten', config: {} } },
  { input: [12], layer: { type: 'Dense', config: { units: 5 } } },
  { input: [12], layer: { type: 'Dense', config: { units: 1, activation: 'sigmoid', useBias: false } } },
  { input: [5, 6, 7], layer: { type: 'Dropout', config: { rate: 0.25 } } },
  { input: [5, 6, 7], layer: { type: 'BatchNormalization', config: {} } },
  { input: [9], layer: { type: 'BatchNormalization', config: { momentum: 0.9, epsilon: 0.01 } } },
  ...['relu', 'sigmoid', 'softmax', 'tanh', 'elu', 'leakyRelu'].map((activation) => ({
    input: [4, 4, 2] as Shape,
    layer: { type: 'Activation' as const, config: { activation } },
  })),
]

/**
 * Layer types these generic tables leave out, with where they are covered instead: Pretrained loads real
 * weights from its npm package, so its shapes and parameter counts are checked against tfjs in
 * backbones/backbone.test.ts and its export (both formats, within 1e-4) in backbones/pretrained.test.ts.
 */
export const coveredElsewhere: Partial<Record<LayerType, string>> = {
  Pretrained: 'src/main/core/backbones/backbone.test.ts, src/main/core/backbones/pretrained.test.ts',
}

/** The registered layer types the generic tables must cover. */
export const tableLayerTypes = (registered: string[]): Set<string> =>
  new Set(registered.filter((t) => !(t in coveredElsewhere)))
