/**
 * What one training step is made of, shared by the trainer and its replica threads: dropout with seeded
 * masks, the loss for the task, the count of correct predictions, and the gradients of a batch (or part).
 */
import * as tf from '@tensorflow/tfjs'
import type { TrainJob } from './protocol'
import { outputUnitsProblem } from '../../../shared/model/registry'

/** Dropout whose masks come from the run's seed (tfjs' own Dropout draws unseeded). */
export class SeededDropout extends tf.layers.Layer {
  static className = 'SeededDropout'
  constructor(
    private readonly rate: number,
    private readonly nextSeed: () => number,
  ) {
    super({})
  }
  override computeOutputShape(shape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return shape
  }
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs
    if (!kwargs.training || this.rate === 0) return x
    return tf.tidy(() => {
      const keep = 1 - this.rate
      const mask = tf.randomUniform(x.shape, 0, 1, 'float32', this.nextSeed()).less(keep).cast('float32').div(keep)
      return x.mul(mask)
    })
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate }
  }
}

export type LossKind = 'categorical' | 'binary' | 'mse'

export function lossKind(task: TrainJob['task'], classes: number, outputUnits: number): LossKind {
  const problem = outputUnitsProblem(outputUnits, task, classes)
  if (problem) throw new Error(problem)
  if (task === 'regression') return 'mse'
  return classes === 2 && outputUnits === 1 ? 'binary' : 'categorical'
}

export function lossOf(kind: LossKind, labels: tf.Tensor, predictions: tf.Tensor): tf.Scalar {
  const eps = 1e-7
  switch (kind) {
    case 'categorical':
      return tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.log(tf.clipByValue(predictions, eps, 1 - eps))), -1))) as tf.Scalar
    case 'binary': {
      const p = tf.clipByValue(predictions, eps, 1 - eps)
      return tf.neg(
        tf.mean(tf.add(tf.mul(labels, tf.log(p)), tf.mul(tf.sub(1, labels), tf.log(tf.sub(1, p))))),
      ) as tf.Scalar
    }
    case 'mse':
      return tf.mean(tf.square(tf.sub(predictions, labels))) as tf.Scalar
  }
}

/** Correct predictions in a batch (classification), as a scalar tensor the caller reads and disposes. */
export function correctTensor(kind: LossKind, labels: tf.Tensor, predictions: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const right =
      kind === 'binary'
        ? tf.equal(tf.greater(predictions, 0.5).cast('float32'), labels)
        : tf.equal(tf.argMax(predictions, -1), tf.argMax(labels, -1))
    return right.cast('float32').sum() as tf.Scalar
  })
}

/**
 * A scalar's value, read asynchronously: the webgpu backend cannot read the GPU synchronously in Node
 * (its dataSync needs a browser's OffscreenCanvas), and on the other engines this costs nothing more.
 */
export async function scalarOf(t: tf.Tensor): Promise<number> {
  return (await t.data())[0]!
}

/**
 * Gradients of the mean loss over x (training mode: dropout on, batch statistics) for the given variables
 * (all trainable ones when absent, as `optimizer.minimize` takes them), with the loss and the correct count.
 * The caller disposes the gradients.
 */
export async function gradientsOf(
  model: tf.LayersModel,
  kind: LossKind,
  x: tf.Tensor,
  y: tf.Tensor,
  variables?: tf.Variable[],
): Promise<{ grads: tf.NamedTensorMap; loss: number; correct: number }> {
  let predictions: tf.Tensor | null = null
  const { value, grads } = tf.variableGrads(() => {
    const p = model.apply(x, { training: true }) as tf.Tensor
    predictions = tf.keep(p)
    return lossOf(kind, y, p)
  }, variables)
  const right = kind === 'mse' ? null : correctTensor(kind, y, predictions!)
  tf.dispose(predictions!)
  const [loss, correct] = await Promise.all([scalarOf(value), right ? scalarOf(right) : 0])
  tf.dispose([value, ...(right ? [right] : [])])
  return { grads, loss, correct }
}
