/**
 * MobileNetV2 (alpha 1.0, 224×224) as shipped inside the `nsfwjs` npm package (MIT, Infinite Red): Keras'
 * ImageNet-pretrained MobileNetV2 whose top blocks (11–16 and the last 1×1 convolution) were then
 * fine-tuned on five photo classes; weights uint8-quantised. The package's own classifier head is dropped:
 * the backbone ends at its 7×7 average pool, `flatten_1`, 1280 features. Nothing is fetched: the model
 * and weights are JavaScript modules in node_modules.
 */
import { createRequire } from 'node:module'
import type { BackboneSource } from './backbone'

const requireHere = createRequire(import.meta.url)

interface ModelDefinition {
  modelJson(): Promise<{ default?: unknown; modelTopology: unknown; weightsManifest: unknown }>
  weightBundles: Array<() => Promise<{ default?: string } | string>>
}

export const mobilenetV2: BackboneSource = {
  id: 'mobilenetV2',
  featuresLayer: 'flatten_1',
  packageName: 'nsfwjs',
  blockOf(name) {
    const block = /^(block_\d+)_/.exec(name)?.[1]
    if (block) return block
    if (name.startsWith('expanded_conv')) return 'expanded_conv'
    if (/^(bn_)?Conv1/.test(name)) return 'Conv1'
    if (name.startsWith('Conv_1') || name === 'out_relu') return 'Conv_1'
    return null
  },
  async files() {
    const { MobileNetV2Model } = requireHere('nsfwjs/models/mobilenet_v2') as { MobileNetV2Model: ModelDefinition }
    const json = await MobileNetV2Model.modelJson()
    const bundles = await Promise.all(MobileNetV2Model.weightBundles.map((b) => b()))
    const weights = bundles.map((b) => Buffer.from(typeof b === 'string' ? b : b.default!, 'base64'))
    return { modelTopology: json.modelTopology, weightsManifest: json.weightsManifest, weights: Buffer.concat(weights) }
  },
  packageVersion() {
    // nsfwjs' exports leave out package.json; its version is read from the file beside the entry point.
    const entry = requireHere.resolve('nsfwjs/models/mobilenet_v2')
    const pkg = entry.slice(0, entry.lastIndexOf('/dist/')) + '/package.json'
    return (requireHere(pkg) as { version: string }).version
  },
}
