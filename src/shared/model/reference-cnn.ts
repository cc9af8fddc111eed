/**
 * The reference small CNN of BENCHMARKS.md (56,714 parameters on 28×28×1 digits): used by the training
 * benchmark and by the tests that check shapes and parameter counts against it.
 */
import type { ModelSpec } from './types'

export const referenceCnn: ModelSpec = {
  inputShape: [28, 28, 1],
  layers: [
    {
      type: 'Conv2D',
      config: {
        filters: 16,
        kernelSize: [3, 3],
        strides: [1, 1],
        padding: 'valid',
        activation: 'relu',
        useBias: true,
        kernelInitializer: 'glorotUniform',
      },
    },
    { type: 'MaxPooling2D', config: { poolSize: [2, 2], strides: null, padding: 'valid' } },
    {
      type: 'Conv2D',
      config: {
        filters: 32,
        kernelSize: [3, 3],
        strides: [1, 1],
        padding: 'valid',
        activation: 'relu',
        useBias: true,
        kernelInitializer: 'glorotUniform',
      },
    },
    { type: 'MaxPooling2D', config: { poolSize: [2, 2], strides: null, padding: 'valid' } },
    { type: 'Flatten', config: {} },
    { type: 'Dense', config: { units: 64, activation: 'relu', useBias: true, kernelInitializer: 'glorotUniform' } },
    { type: 'Dense', config: { units: 10, activation: 'softmax', useBias: true, kernelInitializer: 'glorotUniform' } },
  ],
}
