/**
 * A spec as the trainer runs it. Without a backbone: one tfjs model. With one (a `Pretrained` first
 * layer): the backbone, cut where its frozen part ends; the trained model, from the cut to the output
 * (the head alone when all of the backbone is frozen, else the unfrozen blocks and the head, sharing the
 * backbone's weights); and, built on demand, the whole model from pixels to probabilities, for export.
 */
import * as tf from '@tensorflow/tfjs'
import { backboneConfig, headSpec } from '../../../shared/model/registry'
import type { LayerConfigs, ModelSpec } from '../../../shared/model/types'
import { buildModel, initializeWeights, type BuildOptions } from '../training/build-model'
import { applyAfterCut, cutOf, loadBackbone, type BackboneCut, type LoadedBackbone } from './backbone'

export interface BackbonePart {
  loaded: LoadedBackbone
  config: LayerConfigs['Pretrained']
  cut: BackboneCut
}

export interface ModelParts {
  /** Trained and checkpointed; its input is the cut's output (or the spec's input without a backbone). */
  trained: tf.LayersModel
  backbone: BackbonePart | null
  /** Pixels → output, sharing the trained weights. */
  whole(): tf.LayersModel
  dispose(): void
}

/** Builds the parts; the head's (or the whole model's) initial weights come from the seed. */
export async function buildParts(spec: ModelSpec, seed: number, options: BuildOptions = {}): Promise<ModelParts> {
  const config = backboneConfig(spec)
  if (!config) {
    const model = buildModel(spec, options)
    initializeWeights(model, spec, seed)
    return { trained: model, backbone: null, whole: () => model, dispose: () => model.dispose() }
  }
  const head = headSpec(spec)!
  if (head.layers.length === 0)
    throw new Error('A pretrained backbone needs at least one layer after it (the classifier)')
  const loaded = await loadBackbone(config.backbone)
  const cut = cutOf(loaded, config.trainableBlocks)
  const headModel = buildModel(head, options)
  initializeWeights(headModel, head, seed)
  const applyHead = (t: tf.SymbolicTensor): tf.SymbolicTensor =>
    headModel.layers.reduce((x, layer) => layer.apply(x) as tf.SymbolicTensor, t)
  for (const layer of loaded.model.layers) layer.trainable = false
  let trained: tf.LayersModel = headModel
  if (config.trainableBlocks > 0) {
    const input = tf.input({ shape: cut.shape })
    trained = tf.model({ inputs: input, outputs: applyHead(applyAfterCut(loaded, cut, input)) })
  }
  let whole: tf.LayersModel | null = null
  return {
    trained,
    backbone: { loaded, config, cut },
    whole() {
      whole ??= tf.model({ inputs: loaded.model.inputs, outputs: applyHead(loaded.model.outputs[0]!) })
      return whole
    },
    // The backbone's weights stay loaded for the next run in this process; only the head's go.
    dispose: () => headModel.layers.forEach((l) => l.dispose()),
  }
}
