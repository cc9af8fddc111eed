/**
 * What the app knows about each pretrained backbone without loading it (the Model page, validation and
 * shape arithmetic run in the renderer too): its input, its output, how pixels are scaled for it, its
 * blocks with their parameter counts, and where its weights come from. The weights themselves are loaded
 * only in the main process (src/main/core/backbones).
 */
export const backboneIds = ['mobilenetV2'] as const
export type BackboneId = (typeof backboneIds)[number]

export interface BackboneBlock {
  name: string
  /** Output positions (height × width) the block's weights are applied at, for the time estimate. */
  positions: number
  /** Kernels, BatchNorm gamma and beta: trainable once the block is unfrozen. */
  weights: number
  /** BatchNorm moving mean and variance: never trained (BatchNorm stays in inference mode, as Keras advises). */
  statistics: number
}

export interface BackboneInfo {
  id: BackboneId
  label: string
  inputShape: [number, number, 3]
  features: number
  /** A pixel value p in 0..255 is given to the backbone as p × scale + offset. */
  normalization: { scale: number; offset: number }
  /** From the input to the output; `trainableBlocks: N` unfreezes the last N. */
  blocks: BackboneBlock[]
  /**
   * The most blocks that may be unfrozen: the frozen part's output is cached per image, and further down
   * it grows large (14×14×64 floats here at 8) while fine-tuning gets slower on a laptop CPU.
   */
  maxTrainableBlocks: number
  source: string
  licence: string
  limits: string
}

const b = (name: string, weights: number, statistics: number, side: number): BackboneBlock => ({
  name,
  weights,
  statistics,
  positions: side * side,
})

export const backbones: Record<BackboneId, BackboneInfo> = {
  mobilenetV2: {
    id: 'mobilenetV2',
    label: 'MobileNetV2 features',
    inputShape: [224, 224, 3],
    features: 1280,
    // What nsfwjs feeds this model (x / 255), and what its fine-tuned top blocks were trained on.
    normalization: { scale: 1 / 255, offset: 0 },
    blocks: [
      b('Conv1', 928, 64, 112),
      b('expanded_conv', 896, 96, 112),
      b('block_1', 5136, 432, 56),
      b('block_2', 8832, 624, 56),
      b('block_3', 10000, 640, 28),
      b('block_4', 14848, 832, 28),
      b('block_5', 14848, 832, 28),
      b('block_6', 21056, 896, 14),
      b('block_7', 54272, 1664, 14),
      b('block_8', 54272, 1664, 14),
      b('block_9', 54272, 1664, 14),
      b('block_10', 66624, 1728, 14),
      b('block_11', 118272, 2496, 14),
      b('block_12', 118272, 2496, 14),
      b('block_13', 155264, 2624, 7),
      b('block_14', 320000, 4160, 7),
      b('block_15', 320000, 4160, 7),
      b('block_16', 473920, 4480, 7),
      b('Conv_1', 412160, 2560, 7),
    ],
    maxTrainableBlocks: 8,
    source:
      'Keras MobileNetV2 (alpha 1.0, 224×224), ImageNet-pretrained, with blocks 11–16 then fine-tuned on five photo classes by the nsfwjs project; shipped in the npm package nsfwjs 4.4.0 (Infinite Red), uint8-quantised weights, nothing downloaded.',
    licence:
      'MIT (nsfwjs, © 2019 Infinite Red, Inc.); the MobileNetV2 architecture and ImageNet weights are from Keras Applications (Apache 2.0).',
    limits:
      'Trained on photos: it is strongest on photographs of objects and scenes, weaker on drawings, digits, medical or satellite images. Images are resized to 224×224 (aspect ratio not kept); grey images are copied into three channels. Its top blocks were tuned for adult-content classes, which can bias the features.',
  },
}

export function isBackboneId(v: unknown): v is BackboneId {
  return typeof v === 'string' && (backboneIds as readonly string[]).includes(v)
}

/** Parameters of the backbone with its last `trainableBlocks` blocks unfrozen. */
export function backboneParams(
  info: BackboneInfo,
  trainableBlocks: number,
): { trainable: number; nonTrainable: number } {
  let trainable = 0
  let nonTrainable = 0
  info.blocks.forEach((block, i) => {
    const open = i >= info.blocks.length - trainableBlocks
    if (open) trainable += block.weights
    else nonTrainable += block.weights
    nonTrainable += block.statistics
  })
  return { trainable, nonTrainable }
}

/**
 * Rough seconds for a run, said before it starts: computing the features once, and one epoch. Frozen, an
 * epoch trains only the head (about nothing); fine-tuning runs the unfrozen blocks forward and backward
 * (about 3× their multiply-adds) per image. The rates are what a 2-core laptop CPU measured here:
 * 150 images/s for the features, 3 × 10⁹ multiply-adds/s for training.
 */
export function backboneTimeEstimate(
  info: BackboneInfo,
  trainableBlocks: number,
  images: number,
): { featuresSeconds: number; epochSeconds: number } {
  const macs = info.blocks
    .slice(info.blocks.length - trainableBlocks)
    .reduce((sum, block) => sum + block.weights * block.positions, 0)
  return { featuresSeconds: images / 150, epochSeconds: (images * (3 * macs + 2 * info.features * 2)) / 3e9 }
}
