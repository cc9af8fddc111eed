/**
 * The model card of an export: metadata.json (for programs) and MODEL_CARD.md (for people), both filled
 * from the run record — task, labels, input and preprocessing, dataset version and class counts, the
 * architecture, hyperparameters, engine, metrics and confusion matrix, the export check, and how to load it.
 */
import { exportFormatNames, exportFormats, type ExportFormat, type ExportFormatResult } from '../../../shared/export'
import { backbones } from '../../../shared/model/backbones'
import { capitalized, metricLabel, percent, roundForPeople, versionName } from '../../../shared/words'
import { analyzeStack, backboneConfig } from '../../../shared/model/registry'
import type { Evaluation, RunDetail } from '../../../shared/training'
import type { Preprocessing } from '../../export-runtime/runtime'
import { onnxInputName, onnxOpset } from './onnx'

export interface CardInput {
  run: RunDetail
  projectName: string
  task: 'classification' | 'regression'
  labels: string[]
  /** The dataset's target column (tables) — what a regression predicts. */
  target: string | null
  preprocessing: Preprocessing
  dataset: {
    version: number
    hash: string
    counts: Record<'train' | 'validation' | 'test', number>
    classCounts: Record<'train' | 'validation' | 'test', number[]>
  }
  evaluation: { validation: Evaluation | null; test: Evaluation | null }
  files: Partial<Record<ExportFormat, string[]>>
  verification: ExportFormatResult[]
  appVersion: string
  exportedAt: Date
}

export function modelMetadata(c: CardInput): Record<string, unknown> {
  const analysis = analyzeStack(c.run.spec)
  return {
    formatVersion: 1,
    producer: { name: 'ModelBench', version: c.appVersion },
    exportedAt: c.exportedAt.toISOString(),
    run: {
      id: c.run.id,
      name: c.run.name,
      project: c.projectName,
      seed: c.run.seed,
      createdAt: new Date(c.run.createdAt).toISOString(),
      finishedAt: c.run.finishedAt ? new Date(c.run.finishedAt).toISOString() : null,
    },
    task: c.task,
    labels: c.labels,
    target: c.target,
    input: {
      name: onnxInputName,
      shape: ['batch', ...c.run.spec.inputShape],
      layout: c.run.spec.inputShape.length === 3 ? 'NHWC' : 'NC',
      dtype: 'float32',
    },
    output: outputDescription(c),
    preprocessing: c.preprocessing,
    dataset: c.dataset,
    architecture: {
      summary: c.run.architectureSummary,
      totalParams: analysis.totalParams,
      trainableParams: analysis.trainableParams,
      layers: c.run.spec.layers,
    },
    backbone: backboneOf(c),
    hyperparameters: c.run.hyperparameters,
    engine: c.run.engine,
    metrics: c.evaluation,
    files: c.files,
    onnx: c.files.onnx ? { opset: onnxOpset, inputLayout: 'NHWC (the model transposes to NCHW inside)' } : undefined,
    verification: c.verification,
  }
}

function outputDescription(c: CardInput): string {
  switch (c.preprocessing.output) {
    case 'softmax':
      return `one probability per label, in the order of labels.json (${c.labels.length} values)`
    case 'sigmoid':
      return `one value: the probability of "${c.labels[1]}" (the probability of "${c.labels[0]}" is 1 minus it)`
    case 'linear':
      return `one value: the predicted ${c.target ?? 'number'}`
  }
}

// Accuracy as a percentage with one decimal and other numbers to three significant digits, as in the app.
const pct = percent
const num = roundForPeople
/** Preprocessing constants stay precise: a deployment reimplements them from the card. */
const precise = (v: number): string => (Math.abs(v) >= 1000 || Math.abs(v) < 0.001 ? v.toExponential(3) : v.toFixed(4))

function evaluationSection(title: string, e: Evaluation | null, labels: string[]): string[] {
  if (!e) return [`### ${title}`, '', 'Not evaluated (this split was empty).', '']
  if (e.kind === 'regression')
    return [
      `### ${title} (${e.count} rows)`,
      '',
      `| MSE | MAE | R² |`,
      '|---|---|---|',
      `| ${num(e.mse)} | ${num(e.mae)} | ${num(e.r2)} |`,
      '',
    ]
  const lines = [
    `### ${title} (${e.count} examples)`,
    '',
    `Accuracy **${pct(e.accuracy)}**, macro F1 ${e.macro.f1.toFixed(3)}${e.roc ? `, ROC AUC ${e.roc.auc.toFixed(3)}` : ''}.`,
    '',
  ]
  lines.push('| Class | Precision | Recall | F1 | Support |', '|---|---|---|---|---|')
  for (const k of e.classes)
    lines.push(`| ${k.name} | ${k.precision.toFixed(3)} | ${k.recall.toFixed(3)} | ${k.f1.toFixed(3)} | ${k.support} |`)
  lines.push(
    '',
    'Confusion matrix (rows: true class, columns: predicted):',
    '',
    `| | ${labels.join(' | ')} |`,
    `|---|${labels.map(() => '---|').join('')}`,
  )
  e.confusion.forEach((row, i) => lines.push(`| **${labels[i]}** | ${row.join(' | ')} |`))
  lines.push('')
  return lines
}

/** How the card says to load each format: a heading and a code snippet. */
const loading: Record<ExportFormat, { title: (files: string[]) => string; code: (c: CardInput) => string }> = {
  tfjs: { title: (files) => `TF.js, in a web page (files: ${files.join(', ')}):`, code: (c) => tfjsSnippet(c) },
  onnx: {
    title: () => `Python with onnxruntime (model.onnx, opset ${onnxOpset}, input NHWC):`,
    code: (c) => onnxSnippet(c),
  },
}

function tfjsSnippet(c: CardInput): string {
  const pre = c.preprocessing
  if (pre.kind === 'image') {
    const [h, w, ch] = pre.inputShape
    return `\`\`\`js
import * as tf from '@tensorflow/tfjs'

// Serve this folder next to your page; the paths are relative to it.
const model = await tf.loadLayersModel('model.json')
const labels = await (await fetch('labels.json')).json()

// img: an <img>, <canvas> or ImageData. Stretch to ${w}×${h}, ${ch === 1 ? 'grey' : 'RGB'}, then scale as preprocessing.json says.
const x = tf.tidy(() =>
  tf.browser.fromPixels(img, ${ch}).resizeBilinear([${h}, ${w}]).toFloat()
    .sub(${JSON.stringify(pre.mean)}).div(${JSON.stringify(pre.std)}).expandDims(0))
const values = await model.predict(x).data()
${pre.output === 'sigmoid' ? 'const probabilities = [1 - values[0], values[0]]' : 'const probabilities = Array.from(values)'}
console.log(labels[probabilities.indexOf(Math.max(...probabilities))])
\`\`\``
  }
  return `\`\`\`js
import * as tf from '@tensorflow/tfjs'

const model = await tf.loadLayersModel('model.json')
const pre = await (await fetch('preprocessing.json')).json()
// row: { column: value, … } — numeric columns standardised, categorical ones one-hot, as preprocessing.json lists them.
const features = pre.columns.flatMap((c) =>
  c.type === 'numeric' ? [(Number(row[c.name]) - c.mean) / c.std] : c.categories.map((k) => (String(row[c.name]) === k ? 1 : 0)))
const values = await model.predict(tf.tensor2d([features])).data()
\`\`\``
}

function onnxSnippet(c: CardInput): string {
  const pre = c.preprocessing
  if (pre.kind === 'image') {
    const [h, w, ch] = pre.inputShape
    return `\`\`\`python
import json
import numpy as np
import onnxruntime as ort
from PIL import Image

pre = json.load(open("preprocessing.json"))
labels = json.load(open("labels.json"))
session = ort.InferenceSession("model.onnx")

image = Image.open("example.png").convert("${ch === 1 ? 'L' : 'RGB'}").resize((${w}, ${h}))
x = np.asarray(image, dtype=np.float32).reshape(1, ${h}, ${w}, ${ch})  # NHWC, as the model takes it
x = (x - np.array(pre["mean"], np.float32)) / np.array(pre["std"], np.float32)
values = session.run(None, {"${onnxInputName}": x})[0][0]
${pre.output === 'sigmoid' ? 'probabilities = np.array([1 - values[0], values[0]])' : 'probabilities = values'}
print(labels[int(probabilities.argmax())])
\`\`\``
  }
  return `\`\`\`python
import json
import numpy as np
import onnxruntime as ort

pre = json.load(open("preprocessing.json"))
session = ort.InferenceSession("model.onnx")

def encode(row):
    out = []
    for c in pre["columns"]:
        if c["type"] == "numeric":
            out.append((float(row[c["name"]]) - c["mean"]) / c["std"])
        else:
            out.extend(1.0 if str(row[c["name"]]) == k else 0.0 for k in c["categories"])
    return out

x = np.array([encode(${JSON.stringify(Object.fromEntries(pre.columns.map((col) => [col.name, col.type === 'numeric' ? col.mean : (col.categories[0] ?? '')])))})], dtype=np.float32)
print(session.run(None, {"${onnxInputName}": x})[0][0])
\`\`\``
}

export function modelCard(c: CardInput): string {
  const r = c.run
  const analysis = analyzeStack(r.spec)
  const pre = c.preprocessing
  const hp = r.hyperparameters
  const lines: string[] = [
    `# Model card: ${r.name}`,
    '',
    `Exported from ModelBench ${c.appVersion} on ${c.exportedAt.toISOString().slice(0, 10)} (project “${c.projectName}”, run \`${r.id}\`).`,
    '',
    '## Task',
    '',
    c.task === 'classification'
      ? `${pre.kind === 'image' ? 'Image' : 'Table'} classification into ${c.labels.length} classes: ${c.labels.join(', ')} (labels.json, in the model's output order).`
      : `Regression on a table: predicts ${c.target ?? 'a number'}.`,
    '',
    '## Input and preprocessing',
    '',
  ]
  if (pre.kind === 'image') {
    const [h, w, ch] = pre.inputShape
    lines.push(
      `- Input: a float32 tensor \`[batch, ${h}, ${w}, ${ch}]\` (NHWC, batch size free), named \`${onnxInputName}\` in ONNX.`,
      `- Transparent pixels are composited on white, then images are ${ch === 1 ? 'converted to grey' : 'converted to RGB'} and stretched to ${w}×${h} pixels (aspect ratio not kept).`,
      `- Each pixel value 0–255 becomes \`(value − mean) / std\` per channel, with mean ${JSON.stringify(pre.mean)} and std ${JSON.stringify(pre.std.map((v) => Math.round(v * 1e4) / 1e4))}${pre.std.every((v) => v === 255) && pre.mean.every((v) => v === 0) ? ' (rescaling to 0–1)' : ' (standardised with the training split)'}.`,
    )
  } else {
    lines.push(
      `- Input: a float32 tensor \`[batch, ${pre.featureCount}]\`, named \`${onnxInputName}\` in ONNX.`,
      '- Columns, in order:',
    )
    for (const col of pre.columns) {
      lines.push(
        col.type === 'numeric'
          ? `  - \`${col.name}\`: numeric, \`(value − ${precise(col.mean)}) / ${precise(col.std)}\`; a missing value becomes 0`
          : `  - \`${col.name}\`: categorical, one-hot over ${col.categories.length} categories (${col.categories.slice(0, 8).join(', ')}${col.categories.length > 8 ? ', …' : ''}); an unseen one is all zeros`,
      )
    }
  }
  lines.push(
    `- Output: ${outputDescription(c)}.`,
    '- The same in machine-readable form: preprocessing.json and metadata.json.',
    '',
  )

  lines.push(
    '## Data',
    '',
    `${capitalized(versionName(c.dataset.version))} (hash \`${c.dataset.hash.slice(0, 16)}…\`).`,
    '',
  )
  if (c.task === 'classification') {
    lines.push('| Class | Train | Validation | Test |', '|---|---|---|---|')
    c.labels.forEach((name, i) =>
      lines.push(
        `| ${name} | ${c.dataset.classCounts.train[i] ?? 0} | ${c.dataset.classCounts.validation[i] ?? 0} | ${c.dataset.classCounts.test[i] ?? 0} |`,
      ),
    )
    lines.push(
      `| **All** | ${c.dataset.counts.train} | ${c.dataset.counts.validation} | ${c.dataset.counts.test} |`,
      '',
    )
  } else {
    lines.push(
      `Rows: ${c.dataset.counts.train} train, ${c.dataset.counts.validation} validation, ${c.dataset.counts.test} test.`,
      '',
    )
  }

  lines.push(
    '## Architecture',
    '',
    `${r.spec.layers.length} layers, ${analysis.totalParams.toLocaleString('en')} parameters (${analysis.trainableParams.toLocaleString('en')} trainable).`,
    '',
  )
  lines.push('| # | Layer | Settings | Output shape | Parameters |', '|---|---|---|---|---|')
  r.spec.layers.forEach((l, i) => {
    const info = analysis.layers[i]
    const settings = Object.entries(l.config)
      .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('×') : v === null ? 'default' : String(v)}`)
      .join(', ')
    lines.push(
      `| ${i + 1} | ${l.type} | ${settings || '—'} | ${info?.outputShape ? `(${info.outputShape.join(', ')})` : '—'} | ${info?.params ? (info.params.trainable + info.params.nonTrainable).toLocaleString('en') : '—'} |`,
    )
  })
  lines.push('')
  const backbone = backboneConfig(r.spec)
  if (backbone) {
    const info = backbones[backbone.backbone]
    const receipt = r.engine?.backbone
    lines.push(
      '### Pretrained backbone',
      '',
      `- ${info.label}, ${backbone.trainableBlocks === 0 ? 'frozen' : `its last ${backbone.trainableBlocks} blocks fine-tuned`}${receipt ? `; weights from ${receipt.origin}, sha256 \`${receipt.sha256}\`` : ''}.`,
      `- Source: ${info.source}`,
      `- Licence: ${info.licence}`,
      `- Limits: ${info.limits}`,
      '',
    )
  }

  lines.push(
    '## Training',
    '',
    `- Optimizer ${hp.optimizer}, learning rate ${roundForPeople(hp.learningRate)}, batch size ${hp.batchSize}, ${r.epochsDone} of ${hp.epochs} epochs${hp.earlyStopping ? ` (early stopping on ${metricLabel(hp.earlyStopping.metric)}, patience ${hp.earlyStopping.patience})` : ''}, seed ${r.seed}.`,
    backbone
      ? '- Augmentation: off (a pretrained backbone’s features are computed once per image).'
      : `- Augmentation: flip ${hp.augmentation.flip}, rotation ±${hp.augmentation.rotation}°, zoom ±${hp.augmentation.zoom}, brightness ±${hp.augmentation.brightness}.`,
    `- Engine: ${r.engine ? `${r.engine.engine} (${r.engine.backend}) on ${r.engine.cpu}, ${r.engine.os}` : 'not recorded'}.`,
    '',
    '## Metrics',
    '',
    ...evaluationSection('Validation', c.evaluation.validation, c.labels),
    ...evaluationSection('Test', c.evaluation.test, c.labels),
  )

  lines.push('## Export check', '')
  for (const v of c.verification) {
    lines.push(
      v.verified
        ? `- **${exportFormatNames[v.format]}: verified** — loaded with ${v.runtime} in a separate process; on ${v.checked} inputs ${v.sameTop1 !== null ? `the top class matched the app's ${v.sameTop1} times out of ${v.checked} and ` : ''}the largest difference from the app was ${v.maxDifference?.toExponential(2)}.`
        : `- **${exportFormatNames[v.format]}: not verified** — ${v.error ?? 'the check did not pass'}.`,
    )
  }
  lines.push('')

  lines.push(
    '## Intended use and limits',
    '',
    `- Made for ${c.task === 'classification' ? `telling ${c.labels.join(', ')} apart` : `predicting ${c.target ?? 'the target'}`} on data like the dataset above. It has only seen that data: inputs unlike it (other sources, other ${pre.kind === 'image' ? 'image sizes, lighting or framing' : 'value ranges or categories'}) can get confident wrong answers.`,
    c.task === 'classification'
      ? `- It always answers with one of its ${c.labels.length} classes, also for inputs that belong to none of them.`
      : '- Its error on new data is likely larger than on the test split.',
    '- The metrics above come from held-out splits of one dataset; check it on your own data before relying on it, and do not use it for decisions about people without a review of its errors.',
    '',
    '## How to load it',
    '',
  )
  for (const format of exportFormats) {
    const files = c.files[format]
    if (files) lines.push(loading[format].title(files), '', loading[format].code(c), '')
  }
  return lines.join('\n')
}

function backboneOf(c: CardInput): Record<string, unknown> | undefined {
  const config = backboneConfig(c.run.spec)
  if (!config) return undefined
  const info = backbones[config.backbone]
  return {
    id: info.id,
    label: info.label,
    trainableBlocks: config.trainableBlocks,
    origin: c.run.engine?.backbone?.origin ?? null,
    sha256: c.run.engine?.backbone?.sha256 ?? null,
    source: info.source,
    licence: info.licence,
    limits: info.limits,
  }
}
