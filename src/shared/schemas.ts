/**
 * Input validation for every contract method, applied at the boundary (IPC and HTTP) before the core
 * sees a value. The mapped type makes a method without a schema a compile error.
 */
import { z } from 'zod'
import type { MethodInput, MethodName } from './contract'

const id = z.string().trim().min(1, 'must not be empty').max(64, 'must be at most 64 characters')

export const projectName = z
  .string()
  .trim()
  .min(1, 'A project needs a name')
  .max(120, 'A project name can be at most 120 characters')
  .refine((s) => ![...s].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f), 'A project name cannot contain control characters')

const empty = z.object({}).strict()

export const inputSchemas: { [M in MethodName]: z.ZodType<MethodInput<M>, unknown> } = {
  'app.getInfo': empty,
  'projects.list': empty,
  'projects.get': z.object({ id }).strict(),
  'projects.create': z
    .object({ name: projectName, description: z.string().max(2000).optional() })
    .strict(),
  'projects.open': z.object({ id }).strict(),
  'projects.rename': z.object({ id, name: projectName }).strict(),
  'projects.delete': z.object({ id }).strict(),
  'projects.restore': z.object({ id }).strict(),
}

/** The first problem of a failed parse, as a message that names the field. */
export function describeIssue(error: z.ZodError): { field: string; message: string } {
  const issue = error.issues[0]
  if (!issue) return { field: '', message: 'Invalid input' }
  const field = issue.path.map(String).join('.')
  if (issue.code === 'unrecognized_keys') {
    return { field: issue.keys.join(','), message: `Unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}` }
  }
  if (issue.code === 'invalid_type' && / received undefined$/.test(issue.message)) {
    return { field, message: `${field || 'The input'} is required` }
  }
  return { field, message: field ? `${field}: ${issue.message}` : issue.message }
}
