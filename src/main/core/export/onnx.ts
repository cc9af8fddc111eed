/**
 * Writes an ONNX model from a model spec and its trained weights; every layer type of the registry is
 * covered, each by its own module (main/core/layers).
 *
 * Layout: the model takes NHWC input, as the app and the TF.js export do. Image models transpose to NCHW
 * once after the input (ONNX's Conv and pooling work channels-first), and back to NHWC before Flatten, so
 * the flattened order — and hence the Dense weights — is exactly Keras'.
 */
import { canonicalSpec } from '../../../shared/model/registry'
import type { LayerType, ModelSpec } from '../../../shared/model/types'
import type { MainLayer, OnnxState } from '../layers/parts'
import { mainLayers } from '../layers/registry'
import {
  encodeModel,
  GraphBuilder,
  ints,
  onnxInputName,
  onnxOutputName,
  type LayerWeights,
  type OnnxOptions,
} from './onnx-builder'

export * from './onnx-builder'

/** Builds the ONNX model; `weights[i]` holds layer i's weights (empty for layers without any). */
export function buildOnnxModel(rawSpec: ModelSpec, weights: LayerWeights[], options: OnnxOptions): Uint8Array {
  const g = new GraphBuilder()
  let state: OnnxState = {
    x: onnxInputName,
    shape: [...rawSpec.inputShape],
    layout: 'flat',
  }
  if (state.shape.length === 3) {
    state = { ...state, x: g.node('Transpose', [state.x], [ints('perm', [0, 3, 1, 2])]), layout: 'nchw' }
  } else if (state.shape.length !== 1) {
    throw new Error(
      `An input of shape [${state.shape.join(', ')}] cannot be exported; images are [height, width, channels], tables [features]`,
    )
  }
  canonicalSpec(rawSpec).layers.forEach((layer, index) => {
    const parts = mainLayers[layer.type] as MainLayer<LayerType>
    state = parts.onnx(layer.config as never, state, { g, weights: weights[index] ?? {}, index, options })
  })
  let x = state.x
  if (state.layout === 'nchw') x = g.node('Transpose', [x], [ints('perm', [0, 2, 3, 1])])
  g.node('Identity', [x], [], onnxOutputName)
  return encodeModel(g, rawSpec.inputShape, state.shape, options)
}
