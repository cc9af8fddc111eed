/**
 * Evaluation metrics from stored predictions: accuracy, per-class precision / recall / F1 with macro
 * averages, the confusion matrix and, for two classes, the ROC curve and its AUC; MSE, MAE and R² for
 * regression. A class that is never predicted has precision 0 (no division by zero), as scikit-learn
 * reports it with zero_division=0.
 */
import type { ClassificationEvaluation, RegressionEvaluation } from '../../../shared/training'

/** The index of the largest value (the first, on ties): the predicted class from a row of probabilities. */
export function argmax(values: ArrayLike<number>): number {
  let best = 0
  for (let k = 1; k < values.length; k++) if (values[k]! > values[best]!) best = k
  return best
}

export function classificationMetrics(
  classNames: readonly string[],
  truth: readonly number[],
  predicted: readonly number[],
  positiveScores?: readonly number[],
  loss: number | null = null,
): ClassificationEvaluation {
  const k = classNames.length
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0))
  let correct = 0
  truth.forEach((t, i) => {
    const p = predicted[i]!
    confusion[t]![p]!++
    if (t === p) correct++
  })
  const classes = classNames.map((name, c) => {
    const tp = confusion[c]![c]!
    const support = confusion[c]!.reduce((a, b) => a + b, 0)
    const predictedCount = confusion.reduce((a, row) => a + row[c]!, 0)
    const precision = predictedCount === 0 ? 0 : tp / predictedCount
    const recall = support === 0 ? 0 : tp / support
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall)
    return { name, precision, recall, f1, support }
  })
  const mean = (key: 'precision' | 'recall' | 'f1'): number =>
    k === 0 ? 0 : classes.reduce((a, c) => a + c[key], 0) / k
  return {
    kind: 'classification',
    count: truth.length,
    accuracy: truth.length === 0 ? 0 : correct / truth.length,
    loss,
    classes,
    macro: { precision: mean('precision'), recall: mean('recall'), f1: mean('f1') },
    confusion,
    roc: k === 2 && positiveScores && truth.length > 0 ? rocCurve(truth, positiveScores) : null,
  }
}

/** ROC of class 1 against class 0; AUC by the trapezoid rule over thresholds at each distinct score. */
export function rocCurve(
  truth: readonly number[],
  scores: readonly number[],
): { auc: number; points: Array<[number, number]> } {
  const positives = truth.filter((t) => t === 1).length
  const negatives = truth.length - positives
  if (positives === 0 || negatives === 0) return { auc: Number.NaN, points: [] }
  const order = scores.map((s, i) => [s, truth[i]!] as const).sort((a, b) => b[0] - a[0])
  const points: Array<[number, number]> = [[0, 0]]
  let tp = 0
  let fp = 0
  let auc = 0
  for (let i = 0; i < order.length; i++) {
    if (order[i]![1] === 1) tp++
    else fp++
    // Only emit a point once all samples with this score are counted (ties move diagonally).
    if (i === order.length - 1 || order[i + 1]![0] !== order[i]![0]) {
      const [px, py] = points.at(-1)!
      const x = fp / negatives
      const y = tp / positives
      auc += (x - px) * (y + py) * 0.5
      points.push([x, y])
    }
  }
  return { auc, points }
}

export function regressionMetrics(truth: readonly number[], predicted: readonly number[]): RegressionEvaluation {
  const n = truth.length
  if (n === 0) return { kind: 'regression', count: 0, mse: 0, mae: 0, r2: 0 }
  let se = 0
  let ae = 0
  const mean = truth.reduce((a, b) => a + b, 0) / n
  let ss = 0
  truth.forEach((t, i) => {
    const d = t - predicted[i]!
    se += d * d
    ae += Math.abs(d)
    ss += (t - mean) ** 2
  })
  return { kind: 'regression', count: n, mse: se / n, mae: ae / n, r2: ss === 0 ? (se === 0 ? 1 : 0) : 1 - se / ss }
}
