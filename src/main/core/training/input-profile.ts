/**
 * How the images a model trained on look, in three numbers per image — brightness, contrast and colour —
 * so Try it can say when an image looks unlike all of them (a black "7" on white paper for a model that
 * only saw white digits on black). The profile keeps each number's range over the training images;
 * an image outside a range by more than a margin is "unusual", with the reason in words.
 */

export interface ImageStats {
  /** Mean pixel value, 0 (black) … 1 (white). */
  brightness: number
  /** Standard deviation of the pixel values, 0 (flat) … 0.5. */
  contrast: number
  /** Mean difference between a pixel's channels, 0 for grey. */
  colour: number
}

export type StatName = keyof ImageStats

export interface InputProfile {
  count: number
  /** Per statistic, the 1st and 99th percentiles over the training images. */
  ranges: Record<StatName, [number, number]>
}

const names: StatName[] = ['brightness', 'contrast', 'colour']

/** The statistics of one image's model input (uint8 pixels, channels last). */
export function imageStats(pixels: Uint8Array, channels: number): ImageStats {
  let sum = 0
  let squares = 0
  let colour = 0
  const n = pixels.length
  for (let i = 0; i < n; i++) {
    const v = pixels[i]! / 255
    sum += v
    squares += v * v
  }
  if (channels === 3) {
    for (let i = 0; i < n; i += 3)
      colour +=
        (Math.abs(pixels[i]! - pixels[i + 1]!) +
          Math.abs(pixels[i + 1]! - pixels[i + 2]!) +
          Math.abs(pixels[i]! - pixels[i + 2]!)) /
        (3 * 255)
    colour /= n / 3
  }
  const mean = sum / n
  return { brightness: mean, contrast: Math.sqrt(Math.max(0, squares / n - mean * mean)), colour }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round((sorted.length - 1) * p)))]!
}

export function buildProfile(stats: ImageStats[]): InputProfile {
  const ranges = Object.fromEntries(
    names.map((k) => {
      const sorted = stats.map((s) => s[k]).sort((a, b) => a - b)
      return [k, [percentile(sorted, 0.01), percentile(sorted, 0.99)]]
    }),
  ) as InputProfile['ranges']
  return { count: stats.length, ranges }
}

/** How far outside a range counts as unusual: a tenth of the scale, or the range's own width if wider. */
const margin = (range: [number, number]): number => Math.max(0.1, range[1] - range[0])

const pct = (v: number): string => `${Math.round(v * 100)} %`

/** Why an image looks unlike the training images, one reason per statistic out of range; empty when it does not. */
export function unusualInput(s: ImageStats, profile: InputProfile): string[] {
  const reasons: string[] = []
  for (const k of names) {
    const [lo, hi] = profile.ranges[k]
    const v = s[k]
    const span = `${pct(lo)}–${pct(hi)}`
    if (v > hi + margin([lo, hi]))
      reasons.push(`${words[k].more} than the training images (${k} ${pct(v)}; training images ${span})`)
    else if (v < lo - margin([lo, hi]))
      reasons.push(`${words[k].less} than the training images (${k} ${pct(v)}; training images ${span})`)
  }
  return reasons
}

const words: Record<StatName, { more: string; less: string }> = {
  brightness: { more: 'much brighter', less: 'much darker' },
  contrast: { more: 'much more contrasted', less: 'much flatter' },
  colour: { more: 'much more colourful', less: 'much greyer' },
}
