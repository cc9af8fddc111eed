import { describe, expect, it, vi } from 'vitest'
import { describeIssue, inputSchemas } from '../schemas'
import {
  analyzeStack,
  backboneConfig,
  canonicalSpec,
  isCanonical,
  layerRegistry,
  normalizeLayer,
  outputActivationProblem,
  outputUnitsProblem,
} from './registry'
import { memoryRefusal } from './memory'
import { referenceCnn } from './reference-cnn'
import type { ModelSpec } from './types'

describe('layer validation', () => {
  it.each([
    [{ type: 'Dense', config: { units: 0 } }, 'Dense: units must be a positive whole number. Received: units=0'],
    [
      { type: 'Dense', config: { units: null } },
      'Dense: units cannot be empty; leave it out for the default (64). Received: units=null',
    ],
    [
      { type: 'Dropout', config: { rate: null } },
      'Dropout: rate cannot be empty; leave it out for the default (0.5). Received: rate=null',
    ],
    [
      { type: 'Conv2D', config: { filters: 2.5 } },
      'Conv2D: filters must be a positive whole number. Received: filters=2.5',
    ],
    [
      { type: 'Conv2D', config: { kernelSize: [3] } },
      'Conv2D: kernelSize must be a positive whole number or a pair of them. Received: kernelSize=[3]',
    ],
    [
      { type: 'Conv2D', config: { padding: 'full' } },
      'Conv2D: padding must be one of valid, same. Received: padding="full"',
    ],
    [
      { type: 'Dropout', config: { rate: 1 } },
      'Dropout: rate must be a number from 0 to 1 (exclusive). Received: rate=1',
    ],
    [
      { type: 'Dense', config: { unit: 4 } },
      'Dense has no setting "unit"; its settings are units, activation, useBias, kernelInitializer',
    ],
    [
      { type: 'Activation', config: { activation: 'swish' } },
      'Activation: activation must be one of linear, relu, sigmoid, softmax, tanh, elu, leakyRelu. Received: activation="swish"',
    ],
    [{ type: 'Conv3D', config: {} }, 'Unknown layer type "Conv3D"'],
  ])('%j is refused: %s', (layer, message) => {
    expect(() => normalizeLayer(layer)).toThrow(message)
  })

  it('fills defaults and accepts a single number for a pair', () => {
    expect(normalizeLayer({ type: 'Conv2D', config: { filters: 8, kernelSize: 5 } })).toEqual({
      type: 'Conv2D',
      config: {
        filters: 8,
        kernelSize: [5, 5],
        strides: [1, 1],
        padding: 'valid',
        activation: 'relu',
        useBias: true,
        kernelInitializer: 'glorotUniform',
      },
    })
  })
})

describe('stack analysis', () => {
  it('gives every layer its shape and parameters, and the totals', () => {
    const spec: ModelSpec = referenceCnn
    const a = analyzeStack(spec)
    expect(a.layers.map((l) => l.outputShape)).toEqual([
      [26, 26, 16],
      [13, 13, 16],
      [11, 11, 32],
      [5, 5, 32],
      [800],
      [64],
      [10],
    ])
    // The reference small CNN of BENCHMARKS.md: 56,714 parameters.
    expect(a.totalParams).toBe(56_714)
    expect(a.firstError).toBeNull()
  })

  it('names the layer that cannot follow, what it follows and that layer’s output', () => {
    const a = analyzeStack({
      inputShape: [28, 28, 32],
      layers: [
        { type: 'Flatten', config: {} },
        { type: 'Conv2D', config: { filters: 8 } as never },
        { type: 'Dense', config: { units: 3 } as never },
      ],
    })
    expect(a.firstError).toEqual({
      index: 1,
      message: 'Conv2D needs a 3-D input (height, width, channels) but follows Flatten, whose output is (25088)',
    })
    expect(a.layers[2]).toEqual({ outputShape: null, params: null, error: null })
    const dense = analyzeStack({
      inputShape: [8, 8, 3],
      layers: [
        { type: 'Conv2D', config: {} as never },
        { type: 'Dense', config: {} as never },
      ],
    })
    expect(dense.firstError?.message).toBe(
      'Dense needs a flat input, but follows Conv2D, whose output is (6, 6, 32); add a Flatten or GlobalAveragePooling2D first',
    )
    expect(
      analyzeStack({ inputShape: [4, 4, 1], layers: [{ type: 'Conv2D', config: { kernelSize: 5 } as never }] })
        .firstError?.message,
    ).toMatch(/does not fit/)
    expect(analyzeStack({ inputShape: [0, 3], layers: [] }).firstError?.index).toBe(-1)
  })
})

describe('the output layer and the task', () => {
  const stack = (...layers: Array<Record<string, unknown>>): ModelSpec => ({
    inputShape: [4],
    layers: layers as unknown as ModelSpec['layers'],
  })
  const dense = (units: number, activation: string): Record<string, unknown> => ({
    type: 'Dense',
    config: { units, activation },
  })
  it.each([
    [stack(dense(3, 'softmax')), 'classification', 3, null],
    [stack(dense(1, 'sigmoid')), 'classification', 2, null],
    [stack(dense(2, 'softmax')), 'classification', 2, null],
    [stack(dense(3, 'softmax'), { type: 'Dropout', config: { rate: 0.1 } }), 'classification', 3, null],
    [stack(dense(1, 'linear')), 'regression', 0, null],
    [
      stack(dense(3, 'relu')),
      'classification',
      3,
      'The output ends with relu at layer 1 (Dense), but a classifier’s output needs softmax (one probability per class): set its activation to softmax',
    ],
    [
      stack(dense(3, 'linear')),
      'classification',
      3,
      'The output ends with linear at layer 1 (Dense), but a classifier’s output needs softmax',
    ],
    [
      stack(dense(1, 'softmax')),
      'classification',
      2,
      'The output ends with softmax at layer 1 (Dense), but one output unit for two classes needs sigmoid',
    ],
    [
      stack(dense(3, 'softmax'), { type: 'Activation', config: { activation: 'relu' } }),
      'classification',
      3,
      'The output ends with relu at layer 2 (Activation)',
    ],
    [
      stack(dense(1, 'relu')),
      'regression',
      0,
      'The output ends with relu at layer 1 (Dense), but predicting a number needs a linear output: set its activation to linear',
    ],
  ] as const)('%#: %j for %s', (spec, task, classes, problem) => {
    const got = outputActivationProblem(spec, task, classes)
    if (problem === null) expect(got).toBeNull()
    else expect(got).toContain(problem)
  })
})

describe('training memory', () => {
  const limit = { bytes: 4 * 2 ** 30, reason: 'the WebAssembly engine’s 4 GB limit' }
  it('refuses a model that needs more than the machine can give, with the estimate, the limit and what to change', () => {
    const huge: ModelSpec = {
      inputShape: [4],
      layers: [
        { type: 'Dense', config: { units: 1e9 } } as never,
        { type: 'Dense', config: { units: 2, activation: 'softmax' } } as never,
      ],
    }
    expect(memoryRefusal(huge, 32, limit)).toMatch(
      /^This model needs about [\d.]+ GB to train with batch 32, but this machine can give about 4\.0 GB \(the WebAssembly engine’s 4 GB limit\)\. Try fewer units or filters \(layer 1, Dense, holds the most weights\)/,
    )
    const big: ModelSpec = {
      inputShape: [3000, 3000, 3],
      layers: [
        { type: 'Flatten', config: {} },
        { type: 'Dense', config: { units: 2, activation: 'softmax' } } as never,
      ],
    }
    expect(memoryRefusal(big, 32, limit)).toContain('Try a smaller input than (3000, 3000, 3)')
    expect(memoryRefusal(referenceCnn, 32, limit)).toBeNull()
  })
})

describe('canonical specs', () => {
  it('normalises each layer once at the boundary; the analysis, the output checks and the memory estimate read it as it is', () => {
    const normalize = vi.spyOn(layerRegistry.Dense, 'normalize')
    const parsed = inputSchemas['runs.start'].parse({
      projectId: 'p',
      spec: {
        inputShape: [4],
        layers: [
          { type: 'Dense', config: { units: 8 } },
          { type: 'Dense', config: { units: 3, activation: 'softmax' } },
        ],
      },
    })
    expect(normalize).toHaveBeenCalledTimes(2)
    expect(isCanonical(parsed.spec)).toBe(true)
    expect(parsed.spec.layers[0]).toEqual({
      type: 'Dense',
      config: { units: 8, activation: 'relu', useBias: true, kernelInitializer: 'glorotUniform' },
    })
    analyzeStack(parsed.spec)
    backboneConfig(parsed.spec)
    outputActivationProblem(parsed.spec, 'classification', 3)
    memoryRefusal(parsed.spec, 32, { bytes: 2 ** 32, reason: 'test' })
    expect(canonicalSpec(parsed.spec)).toBe(parsed.spec)
    expect(normalize).toHaveBeenCalledTimes(2)
    normalize.mockRestore()
  })

  it('refuses a layer that cannot be normalised in its own words, on the spec field', () => {
    const result = inputSchemas['runs.start'].safeParse({
      projectId: 'p',
      spec: { inputShape: [4], layers: [{ type: 'Dense', config: { units: -1 } }] },
    })
    expect(result.success).toBe(false)
    expect(describeIssue(result.error!)).toEqual({
      field: 'spec',
      message: 'Dense: units must be a positive whole number. Received: units=-1',
    })
  })

  it('says the one output rule in one message, with the class names when they are known', () => {
    expect(outputUnitsProblem(3, 'classification', 10)).toBe('The last layer has 3 units but the data has 10 classes')
    expect(outputUnitsProblem(3, 'classification', ['a', 'b'])).toBe(
      'The last layer has 3 units but the data has 2 classes (a, b)',
    )
    expect(outputUnitsProblem(1, 'classification', 2)).toBeNull()
    expect(outputUnitsProblem(2, 'regression', 0)).toBe('The last layer has 2 units; predicting a number needs 1')
  })
})
