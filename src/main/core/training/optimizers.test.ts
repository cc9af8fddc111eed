import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { hyperparametersSchema, optimizerInfo, optimizers } from '../../../shared/training'
import { makeOptimizer } from './trainer'

describe('optimizers', () => {
  it('offers every optimizer of the registry, in the Train page and to a sweep', () => {
    expect(Object.keys(optimizerInfo).sort()).toEqual([...optimizers].sort())
  })

  it.each([...optimizers])('%s builds and lowers a simple loss', async (optimizer) => {
    await tf.setBackend('cpu')
    const x = tf.variable(tf.scalar(3))
    const opt = makeOptimizer(hyperparametersSchema.parse({ optimizer, learningRate: 0.1 }))
    const loss = (): tf.Scalar => tf.square(x)
    const before = loss().dataSync()[0]!
    for (let i = 0; i < 5; i++) opt.minimize(loss)
    expect(loss().dataSync()[0]!).toBeLessThan(before)
    opt.dispose()
    x.dispose()
  })
})
