import { describe, expect, it } from 'vitest'
import type { ModelSpec } from './model/types'
import { applyTrialParams, pathProblem, sweepableLayerSettings } from './sweep-apply'

const spec: ModelSpec = {
  inputShape: [224, 224, 3],
  layers: [
    { type: 'Pretrained', config: { backbone: 'mobilenetV2', trainableBlocks: 0 } },
    { type: 'Dropout', config: { rate: 0.2 } },
    { type: 'Dense', config: { units: 2, activation: 'softmax', useBias: true, kernelInitializer: 'glorotUniform' } },
  ],
}

describe('sweeping a model on a pretrained backbone', () => {
  it('offers its trainable blocks, the head’s dropout, and never leaving the backbone out', () => {
    const paths = sweepableLayerSettings(spec).map((s) => s.path)
    expect(paths).toEqual(['layers.0.trainableBlocks', 'layers.1.rate', 'layers.1.present'])
    expect(sweepableLayerSettings(spec)[0]!.param).toMatchObject({ kind: 'categorical', choices: [0, 1, 2] })
    expect(pathProblem('layers.0.trainableBlocks', spec)).toBeNull()
  })

  it('applies a trial’s trainable blocks to the backbone layer', () => {
    const { spec: trial } = applyTrialParams(spec, {}, { 'layers.0.trainableBlocks': 2, 'layers.1.rate': 0.4 })
    expect(trial.layers[0]!.config).toEqual({ backbone: 'mobilenetV2', trainableBlocks: 2 })
    expect(trial.layers[1]!.config).toEqual({ rate: 0.4 })
    expect(spec.layers[0]!.config).toEqual({ backbone: 'mobilenetV2', trainableBlocks: 0 })
  })
})
