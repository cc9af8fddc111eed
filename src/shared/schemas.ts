/**
 * Input validation for every contract method, applied at the boundary (IPC and HTTP) before the core
 * sees a value. The mapped type makes a method without a schema a compile error.
 */
import { z } from 'zod'
import { maxSentFileBytes, uploadIdPattern, type MethodInput, type MethodName } from './contract'
import { exportFormats } from './export'
import { budgetSchema, objectiveSchema, pruningSchema, sweepParamSchema, sweepStrategies } from './sweep'
import { hyperparametersSchema, maxTryImageBytes } from './training'
import { engineOrder } from './engines'
import { clusterProfileSchema } from './cluster'
import { canonicalSpec, type CanonicalSpec } from './model/registry'
import { LayerError } from './model/types'

const id = z.string().trim().min(1, 'must not be empty').max(64, 'must be at most 64 characters')

export const projectName = z
  .string()
  .trim()
  .min(1, 'A project needs a name')
  .max(120, 'A project name can be at most 120 characters')
  .refine(
    (s) => ![...s].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f),
    'A project name cannot contain control characters',
  )

const empty = z.object({}).strict()
const rowId = z.number().int().positive()
/**
 * A path on the machine the core runs on: whole (absolute), without NUL bytes or `..` segments, so no
 * request can climb out of the folder it names before the core has resolved it.
 */
export const fsPath = z
  .string()
  .min(1, 'must not be empty')
  .max(4096)
  .refine((s) => !s.includes('\0'), 'a path cannot contain a NUL byte')
  .refine(
    (s) => s.startsWith('/') || /^[A-Za-z]:[\\/]/.test(s) || s.startsWith('\\\\'),
    'give the whole path, starting from the top folder (e.g. /home/me/pictures)',
  )
  .refine((s) => !s.split(/[\\/]+/).includes('..'), 'a path cannot contain ".." segments; give the folder itself')
const path = fsPath
const offset = z.number().int().min(0).optional()
const limit = z.number().int().min(1).max(1000).optional()
const ratio = z.number().min(0).max(1)
const task = z.enum(['classification', 'regression'])
const split = z.enum(['train', 'validation', 'test'])
const color = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #3b5bdb')
export const className = z
  .string()
  .trim()
  .min(1, 'A class needs a name')
  .max(80, 'A class name can be at most 80 characters')
const architectureName = z.string().trim().min(1, 'An architecture needs a name').max(120)
/**
 * A model spec, validated and normalised once, here: the handlers get a canonical spec (every layer's
 * defaults filled in and checked), and a layer that cannot be is refused with its own words.
 */
const modelSpec = z
  .object({
    inputShape: z.array(z.number().int().positive()).min(1, 'the input shape needs at least one dimension').max(3),
    layers: z
      .array(z.object({ type: z.string(), config: z.record(z.string(), z.unknown()).default({}) }).strict())
      .min(1, 'add at least one layer')
      .max(200),
  })
  .strict()
  .transform((raw, ctx): CanonicalSpec => {
    try {
      return canonicalSpec(raw)
    } catch (err) {
      if (!(err instanceof LayerError)) throw err
      ctx.addIssue({ code: 'custom', message: err.message, params: { plain: true } })
      return z.NEVER
    }
  })
const startRun = z.object({
  projectId: id,
  spec: modelSpec,
  hyperparameters: hyperparametersSchema.optional(),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .optional(),
  name: z.string().trim().min(1).max(120).optional(),
  datasetVersionId: id.optional(),
  engine: z.enum(engineOrder).optional(),
  target: id.optional(),
})
const sampleFilter = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('all') }).strict(),
  z.object({ kind: z.literal('unlabeled') }).strict(),
  z.object({ kind: z.literal('class'), classId: rowId }).strict(),
  z.object({ kind: z.literal('split'), split }).strict(),
  z.object({ kind: z.literal('duplicates') }).strict(),
])

export const inputSchemas: { [M in MethodName]: z.ZodType<MethodInput<M>, unknown> } = {
  'app.getInfo': empty,
  'projects.list': empty,
  'projects.get': z.object({ id }).strict(),
  'projects.create': z.object({ name: projectName, description: z.string().max(2000).optional() }).strict(),
  'projects.open': z.object({ id }).strict(),
  'projects.getDrafts': z.object({ id }).strict(),
  'projects.saveDrafts': z
    .object({
      id,
      model: z
        .object({ name: z.string().max(120), spec: z.unknown() })
        .strict()
        .nullable()
        .optional(),
      train: z.record(z.string(), z.unknown()).nullable().optional(),
    })
    .strict(),
  'projects.rename': z.object({ id, name: projectName }).strict(),
  'projects.delete': z.object({ id }).strict(),
  'projects.restore': z.object({ id }).strict(),
  'projects.createSample': z.object({ sample: z.enum(['digits', 'iris']) }).strict(),
  'datasets.get': z.object({ projectId: id }).strict(),
  'datasets.importImages': z
    .object({
      projectId: id,
      paths: z.array(path).min(1, 'Choose at least one file or folder').max(100_000),
      className: className.optional(),
    })
    .strict(),
  'datasets.previewTable': z.object({ path }).strict(),
  'datasets.importTable': z
    .object({
      projectId: id,
      path,
      targetColumn: z.string().min(1),
      task: task.optional(),
      columnTypes: z.record(z.string(), z.enum(['numeric', 'categorical'])).optional(),
    })
    .strict(),
  'datasets.split': z
    .object({
      datasetId: id,
      train: ratio,
      validation: ratio,
      test: ratio,
      seed: z
        .number()
        .int()
        .min(0)
        .max(2 ** 31 - 1),
    })
    .strict()
    .refine((v) => Math.abs(v.train + v.validation + v.test - 1) < 1e-6, {
      message: 'train, validation and test must add up to 100%',
      path: ['train'],
    })
    .refine((v) => v.train > 0, { message: 'the training split cannot be empty', path: ['train'] }),
  'datasets.freezeVersion': z.object({ datasetId: id }).strict(),
  'datasets.listVersions': z.object({ datasetId: id }).strict(),
  'imports.get': z.object({ importId: id }).strict(),
  'imports.cancel': z.object({ importId: id }).strict(),
  'uploads.putFile': z
    .object({
      uploadId: z.string().regex(uploadIdPattern, 'must be 8 to 64 lower-case letters, digits or dashes'),
      name: z
        .string()
        .min(1)
        .max(500)
        .refine(
          (n) => !/[\\\0]/.test(n) && n.split('/').every((part) => part !== '' && part !== '.' && part !== '..'),
          'must be a file name inside the upload, like Camera/capture-1.jpg',
        ),
      base64: z
        .string()
        .min(1)
        .max(
          Math.ceil(maxSentFileBytes / 3) * 4,
          `The file is too large to send whole; it must be under ${maxSentFileBytes / 1024} KB`,
        )
        .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'must be base64'),
    })
    .strict(),
  'imports.listIssues': z.object({ importId: id, offset, limit }).strict(),
  'classes.create': z.object({ datasetId: id, name: className, color: color.optional() }).strict(),
  'classes.update': z.object({ classId: rowId, name: className.optional(), color: color.optional() }).strict(),
  'classes.merge': z
    .object({ sourceId: rowId, targetId: rowId })
    .strict()
    .refine((v) => v.sourceId !== v.targetId, { message: 'a class cannot be merged into itself', path: ['targetId'] }),
  'classes.delete': z.object({ classId: rowId }).strict(),
  'samples.list': z.object({ datasetId: id, filter: sampleFilter.optional(), offset, limit }).strict(),
  'runs.start': startRun.strict(),
  'runs.crossValidate': startRun
    .extend({ k: z.number().int().min(2, 'at least 2 folds').max(10, 'at most 10 folds') })
    .strict(),
  'runs.crossValidation': z.object({ runId: id }).strict(),
  'runs.suggestLabels': z.object({ runId: id }).strict(),
  'runs.tryImage': z
    .object({
      runId: id,
      sampleId: rowId.optional(),
      imageBase64: z
        .string()
        .min(1)
        .max(
          Math.ceil(maxTryImageBytes / 3) * 4,
          `The image is too large to try here; use one under ${maxTryImageBytes / 1024} KB`,
        )
        .optional(),
      fileName: z.string().max(260).optional(),
    })
    .strict()
    .refine((v) => (v.sampleId === undefined) !== (v.imageBase64 === undefined), 'Give either sampleId or imageBase64'),
  'runs.tryRow': z
    .object({
      runId: id,
      sampleId: rowId.optional(),
      values: z.record(z.string().max(200), z.union([z.string().max(1000), z.number(), z.null()])).optional(),
    })
    .strict()
    .refine((v) => (v.sampleId === undefined) !== (v.values === undefined), 'Give either sampleId or values'),
  'exports.start': z
    .object({
      runId: id,
      formats: z
        .array(z.enum(exportFormats))
        .min(1, 'Choose at least one format')
        .refine((f) => new Set(f).size === f.length, 'Each format once'),
      dir: path.optional(),
    })
    .strict(),
  'sweeps.start': startRun
    .extend({
      space: z.array(sweepParamSchema).max(20, 'at most 20 settings'),
      strategy: z.enum(sweepStrategies),
      objective: objectiveSchema.default({ metric: 'val_accuracy', direction: 'maximize' }),
      budget: budgetSchema,
      pruning: pruningSchema.default({ rule: 'none' }),
      /** Trials trained at once (on a cluster, jobs in the queue at once). */
      parallel: z.number().int().min(1).max(64).default(1),
    })
    .strict(),
  'sweeps.list': z.object({ projectId: id }).strict(),
  'sweeps.get': z.object({ sweepId: id }).strict(),
  'sweeps.pause': z.object({ sweepId: id }).strict(),
  'sweeps.resume': z.object({ sweepId: id }).strict(),
  'sweeps.stop': z.object({ sweepId: id }).strict(),
  'exports.get': z.object({ exportId: id }).strict(),
  'exports.list': z.object({ projectId: id }).strict(),
  'exports.defaultDir': z.object({ runId: id }).strict(),
  'runs.pause': z.object({ runId: id }).strict(),
  'runs.resume': z.object({ runId: id }).strict(),
  'runs.stop': z.object({ runId: id }).strict(),
  'runs.list': z.object({ projectId: id, offset, limit }).strict(),
  'runs.get': z.object({ runId: id }).strict(),
  'runs.metrics': z.object({ runId: id, keys: z.array(z.string().min(1).max(64)).max(50).optional() }).strict(),
  'runs.evaluation': z.object({ runId: id }).strict(),
  'runs.predictions': z.object({ runId: id, split: z.enum(['validation', 'test']), offset, limit }).strict(),
  'engine.doctor': empty,
  'engine.setPreference': z.object({ choice: z.enum(['auto', ...engineOrder]) }).strict(),
  'clusters.list': empty,
  'clusters.save': z.object({ id: id.optional(), profile: clusterProfileSchema }).strict(),
  'clusters.delete': z.object({ id }).strict(),
  'clusters.check': z.object({ id }).strict(),
  'runs.jobLog': z.object({ runId: id }).strict(),
  'runs.update': z
    .object({
      runId: id,
      name: z.string().trim().min(1, 'A run needs a name').max(120).optional(),
      tags: z.array(z.string().trim().min(1).max(40)).max(20).optional(),
      notes: z.string().max(10_000).optional(),
    })
    .strict(),
  'runs.delete': z.object({ runId: id }).strict(),
  'runs.examples': z
    .object({
      runId: id,
      split: z.enum(['validation', 'test']),
      trueIndex: z.number().int().min(0).optional(),
      predictedIndex: z.number().int().min(0).optional(),
      includeChecked: z.boolean().optional(),
      offset,
      limit,
    })
    .strict(),
  'runs.markChecked': z
    .object({ runId: id, split: z.enum(['validation', 'test']), sampleId: rowId, checked: z.boolean() })
    .strict(),
  'runs.restore': z.object({ runId: id }).strict(),
  'runs.rerun': z.object({ runId: id }).strict(),
  'runs.compare': z
    .object({
      runIds: z.array(id).min(2, 'choose at least two runs').max(20, 'compare at most twenty runs'),
      metric: z.string().min(1).max(64),
    })
    .strict(),
  'datasets.previewAugmentation': z
    .object({
      projectId: id,
      inputShape: z.tuple([
        z.number().int().min(4).max(512),
        z.number().int().min(4).max(512),
        z.union([z.literal(1), z.literal(3)]),
      ]),
      augmentation: hyperparametersSchema.shape.augmentation.unwrap(),
      seed: z.number().int().min(0),
    })
    .strict(),
  'architectures.list': z.object({ projectId: id }).strict(),
  'architectures.save': z.object({ projectId: id, name: architectureName, spec: modelSpec }).strict(),
  'architectures.rename': z.object({ projectId: id, name: architectureName, newName: architectureName }).strict(),
  'architectures.delete': z.object({ projectId: id, name: architectureName }).strict(),
  'samples.setLabels': z
    .object({
      labels: z
        .array(z.object({ sampleId: rowId, classId: rowId.nullable() }).strict())
        .min(1)
        .max(100_000),
    })
    .strict(),
}

/** The first problem of a failed parse, as a message that names the field. */
export function describeIssue(error: z.ZodError): { field: string; message: string } {
  const issue = error.issues[0]
  if (!issue) return { field: '', message: 'Invalid input' }
  const field = issue.path.map(String).join('.')
  // A model spec's own refusal ("Dense: units must be …") already says what is wrong; no path before it.
  if (issue.code === 'custom' && (issue.params as { plain?: boolean } | undefined)?.plain)
    return { field, message: issue.message }
  if (issue.code === 'unrecognized_keys') {
    return { field: issue.keys.join(','), message: `Unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}` }
  }
  if (issue.code === 'invalid_type' && / received undefined$/.test(issue.message)) {
    return { field, message: `${field || 'The input'} is required` }
  }
  return { field, message: field ? `${field}: ${issue.message}` : issue.message }
}
