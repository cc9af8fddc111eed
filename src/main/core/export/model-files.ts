/**
 * The model files of an export, written from a built tfjs model holding the trained weights: the TF.js
 * Layers format (model.json + 4 MB weight shards, as tensorflowjs_converter writes them) and ONNX.
 * Runs in the trainer process, which has tfjs loaded; the main process never loads tfjs.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import type { ModelSpec } from '../../../shared/model/types'
import { buildOnnxModel, type LayerWeights, type OnnxOptions } from './onnx'

export const tfjsModelFile = 'model.json'
export const onnxModelFile = 'model.onnx'
const shardBytes = 4 * 1024 * 1024

/** Each layer's weights by their Keras names. */
export function layerWeights(layers: readonly tf.layers.Layer[]): LayerWeights[] {
  return layers.map((layer) =>
    Object.fromEntries(
      layer.weights.map((w) => [
        w.originalName.split('/').pop()!,
        { shape: [...w.shape] as number[], values: Float32Array.from(w.read().dataSync()) },
      ]),
    ),
  )
}

/** Writes model.json and its weight shards into `dir`; returns the file names written. */
export async function writeTfjsModel(model: tf.LayersModel, dir: string, convertedBy: string): Promise<string[]> {
  let artifacts: tf.io.ModelArtifacts | undefined
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
    }),
  )
  if (!artifacts?.weightData || !artifacts.weightSpecs) throw new Error('tfjs gave no weights to save')
  const data = Buffer.from(tf.io.CompositeArrayBuffer.join(artifacts.weightData))
  const count = Math.max(1, Math.ceil(data.length / shardBytes))
  const paths = Array.from({ length: count }, (_, i) => `group1-shard${i + 1}of${count}.bin`)
  await mkdir(dir, { recursive: true })
  for (let i = 0; i < count; i++)
    await writeFile(join(dir, paths[i]!), data.subarray(i * shardBytes, (i + 1) * shardBytes))
  const modelJson = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths, weights: artifacts.weightSpecs }],
  }
  await writeFile(join(dir, tfjsModelFile), JSON.stringify(modelJson))
  return [tfjsModelFile, ...paths]
}

/**
 * `layers` are the spec's layers in order; with a backbone (`options.backbone`, which holds its weights)
 * they are the layers after it.
 */
export async function writeOnnxModel(
  layers: readonly tf.layers.Layer[],
  spec: ModelSpec,
  dir: string,
  options: OnnxOptions,
): Promise<string[]> {
  await mkdir(dir, { recursive: true })
  const weights = layerWeights(layers)
  await writeFile(
    join(dir, onnxModelFile),
    buildOnnxModel(spec, options.backbone ? [{}, ...weights] : weights, options),
  )
  return [onnxModelFile]
}
