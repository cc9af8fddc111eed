import { noExtraKeys, oneOf } from '../check'
import { backboneIds, backboneParams, backbones } from '../backbones'
import { formatShape, LayerError, type LayerDefinition } from '../types'

/**
 * A pretrained network as the first layer: it turns a photo into features, and the layers after it (the
 * head) learn the classes. Frozen by default; `trainableBlocks` unfreezes its last blocks (fine-tuning).
 */
export const pretrained: LayerDefinition<'Pretrained'> = {
  type: 'Pretrained',
  group: 'pretrained',
  purpose:
    'A network already trained on millions of photos turns each image into 1280 features; the layers after it learn your classes from a few hundred images.',
  firstOnly: true,
  defaults: { backbone: 'mobilenetV2', trainableBlocks: 0 },
  normalize(c) {
    noExtraKeys('Pretrained', c, ['backbone', 'trainableBlocks'])
    const backbone = oneOf('Pretrained', 'backbone', c.backbone ?? 'mobilenetV2', backboneIds)
    const most = backbones[backbone].maxTrainableBlocks
    const n = c.trainableBlocks ?? 0
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > most) {
      throw new LayerError(
        `Pretrained: trainableBlocks must be a whole number from 0 (frozen) to ${most} (fine-tune its last ${most} blocks). Received: trainableBlocks=${JSON.stringify(n)}`,
      )
    }
    return { backbone, trainableBlocks: n }
  },
  outputShape(input, c) {
    const info = backbones[c.backbone]
    if (formatShape(input) !== formatShape(info.inputShape)) {
      throw new LayerError(
        `Pretrained ${info.label} takes ${formatShape(info.inputShape)} images but its input is ${formatShape(input)}; set the input shape to ${formatShape(info.inputShape)}`,
      )
    }
    return [info.features]
  },
  params: (_input, c) => backboneParams(backbones[c.backbone], c.trainableBlocks),
}
