/**
 * The main process's layer registry: for every layer type of shared/model/registry.ts, its module's
 * tfjs build, read-back and ONNX export. The mapped type makes a layer type without them a compile error.
 */
import type { LayerType } from '../../../shared/model/types'
import { conv2d } from './conv2d'
import { dense } from './dense'
import { flatten } from './flatten'
import type { MainLayer } from './parts'
import { averagePooling2d, globalAveragePooling2d, maxPooling2d } from './pooling'
import { pretrained } from './pretrained'
import { rescaling } from './rescaling'
import { activationLayer, batchNormalization, dropout } from './simple'

export const mainLayers: { [T in LayerType]: MainLayer<T> } = {
  Pretrained: pretrained,
  Rescaling: rescaling,
  Conv2D: conv2d,
  MaxPooling2D: maxPooling2d,
  AveragePooling2D: averagePooling2d,
  GlobalAveragePooling2D: globalAveragePooling2d,
  Flatten: flatten,
  Dense: dense,
  Dropout: dropout,
  BatchNormalization: batchNormalization,
  Activation: activationLayer,
}

/** The registered parts for a tfjs layer class (a leaky ReLU is tfjs' own LeakyReLU class, our Activation). */
export function partsForTfjsClass(className: string): MainLayer<LayerType> | undefined {
  const type = className === 'LeakyReLU' ? 'Activation' : className
  return Object.prototype.hasOwnProperty.call(mainLayers, type)
    ? (mainLayers[type as LayerType] as MainLayer<LayerType>)
    : undefined
}
