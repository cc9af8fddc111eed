/**
 * Pretrained backbones behind one small interface: a source says where its model and weights are (an npm
 * package, never the network) and which layer gives the features; this module loads it into tfjs once
 * per process, hashes what it loaded, and cuts it where the frozen part ends, so that the frozen part's
 * output can be computed once and cached, and only the layers after the cut are trained.
 */
import { createHash } from 'node:crypto'
import * as tf from '@tensorflow/tfjs'
import { backbones, type BackboneId, type BackboneInfo } from '../../../shared/model/backbones'
import { mobilenetV2 } from './mobilenet-v2'

export interface BackboneSource {
  id: BackboneId
  /** The layer whose output is the features (the backbone ends there). */
  featuresLayer: string
  /** The block (BackboneInfo.blocks[].name) a layer belongs to; null for layers after the last block. */
  blockOf(layerName: string): string | null
  packageName: string
  packageVersion(): string
  files(): Promise<{ modelTopology: unknown; weightsManifest: unknown; weights: Buffer }>
}

const sources: Record<BackboneId, BackboneSource> = { mobilenetV2 }

export interface LoadedBackbone {
  info: BackboneInfo
  source: BackboneSource
  /** Pixels (already normalised the backbone's way) → features. */
  model: tf.LayersModel
  /** sha256 of the topology and the weights as shipped. */
  sha256: string
  /** e.g. "nsfwjs@4.4.0". */
  origin: string
}

const loaded = new Map<BackboneId, Promise<LoadedBackbone>>()

/**
 * Loads a backbone once per process, on the tfjs backend selected before (a trainer process selects its
 * engine first and keeps it). The caller never disposes it.
 */
export function loadBackbone(id: BackboneId): Promise<LoadedBackbone> {
  let pending = loaded.get(id)
  if (!pending) {
    pending = load(id)
    pending.catch(() => loaded.delete(id))
    loaded.set(id, pending)
  }
  return pending
}

async function load(id: BackboneId): Promise<LoadedBackbone> {
  const source = sources[id]
  const files = await source.files()
  const manifest = files.weightsManifest as Array<{ weights: tf.io.WeightsManifestEntry[] }>
  const weightSpecs = manifest.flatMap((group) => group.weights)
  const weightData = files.weights.buffer.slice(
    files.weights.byteOffset,
    files.weights.byteOffset + files.weights.byteLength,
  ) as ArrayBuffer
  const full = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: files.modelTopology as tf.io.ModelJSON['modelTopology'],
      weightSpecs,
      weightData,
    }),
  )
  const model = tf.model({
    inputs: full.inputs,
    outputs: full.getLayer(source.featuresLayer).output as tf.SymbolicTensor,
    name: `${id}_features`,
  })
  for (const layer of model.layers) {
    layer.trainable = false
    // BatchNorm stays in inference mode even in unfrozen blocks (Keras' advice for fine-tuning): a few
    // hundred images in batches of 32 would otherwise replace statistics learned on millions.
    if (layer.getClassName() === 'BatchNormalization') {
      const call = layer.call.bind(layer)
      layer.call = (inputs, kwargs) => call(inputs, { ...kwargs, training: false })
    }
  }
  const sha256 = createHash('sha256')
    .update(JSON.stringify(files.modelTopology))
    .update(JSON.stringify(files.weightsManifest))
    .update(files.weights)
    .digest('hex')
  return { info: backbones[id], source, model, sha256, origin: `${source.packageName}@${source.packageVersion()}` }
}

/** The layers a backbone with its last `trainableBlocks` blocks unfrozen trains, and where its frozen part ends. */
export interface BackboneCut {
  /** The layer whose output the frozen part ends with (the features layer when all is frozen). */
  layer: string
  /** That output's shape without the batch dimension. */
  shape: number[]
  trainableLayers: string[]
}

export function cutOf(backbone: LoadedBackbone, trainableBlocks: number): BackboneCut {
  const { model, info, source } = backbone
  if (trainableBlocks === 0) {
    return { layer: source.featuresLayer, shape: [info.features], trainableLayers: [] }
  }
  const first = info.blocks[info.blocks.length - trainableBlocks]!.name
  const index = model.layers.findIndex((l) => source.blockOf(l.name) === first)
  const inbound = model.layers[index]!.inboundNodes[0]!.inboundLayers[0]!
  const open = new Set(info.blocks.slice(info.blocks.length - trainableBlocks).map((b) => b.name))
  return {
    layer: inbound.name,
    shape: (inbound.outputShape as number[]).slice(1),
    trainableLayers: model.layers
      .filter((l) => open.has(source.blockOf(l.name) ?? '') && l.weights.length > 0)
      .map((l) => l.name),
  }
}

/** Pixels → the frozen part's output. */
export function frozenPart(backbone: LoadedBackbone, cut: BackboneCut): tf.LayersModel {
  const { model } = backbone
  if (cut.layer === model.layers.at(-1)!.name) return model
  // Node 0: the backbone's own graph (layers after a cut are also applied to the trained part's input).
  return tf.model({ inputs: model.inputs, outputs: model.getLayer(cut.layer).getOutputAt(0) as tf.SymbolicTensor })
}

/**
 * The layers after the cut applied to a new input of the cut's shape, sharing the backbone's weights (so
 * training them trains the backbone): the output is the features. Marks those layers trainable.
 */
export function applyAfterCut(backbone: LoadedBackbone, cut: BackboneCut, input: tf.SymbolicTensor): tf.SymbolicTensor {
  const { model } = backbone
  const trainable = new Set(cut.trainableLayers)
  const tensors = new Map<string, tf.SymbolicTensor>([[cut.layer, input]])
  const start = model.layers.findIndex((l) => l.name === cut.layer)
  for (const layer of model.layers.slice(start + 1)) {
    layer.trainable = trainable.has(layer.name)
    const inputs = layer.inboundNodes[0]!.inboundLayers.map((l) => {
      const t = tensors.get(l.name)
      if (!t)
        throw new Error(
          `${backbone.info.label}: layer ${layer.name} reads ${l.name}, which is before the cut at ${cut.layer}`,
        )
      return t
    })
    tensors.set(layer.name, layer.apply(inputs.length === 1 ? inputs[0]! : inputs) as tf.SymbolicTensor)
  }
  return tensors.get(model.layers.at(-1)!.name)!
}
