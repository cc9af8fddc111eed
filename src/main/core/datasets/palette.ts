/** Distinct class colours that read on light and dark backgrounds, handed out in order. */
export const classPalette = [
  '#4c6ef5',
  '#f76707',
  '#2f9e44',
  '#e03131',
  '#ae3ec9',
  '#1098ad',
  '#f59f00',
  '#d6336c',
  '#5c940d',
  '#7950f2',
  '#0ca678',
  '#868e96',
] as const

export function colorFor(position: number): string {
  return classPalette[position % classPalette.length]!
}
