import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { slurmHere } from '../../src/main/test-support/slurm'
import { digitsProject } from './support/digits-run'
import { callApi, expect, openApp, saveScreenshot, test } from './support/fixtures'

const slurm = slurmHere()
const root = fileURLToPath(new URL('../../', import.meta.url))

test('add a Slurm cluster, test it, and watch a 4-trial sweep run on it two jobs at a time', async ({
  page,
  server,
  sourceDir,
}) => {
  test.skip(!slurm.ok, slurm.ok ? '' : slurm.why)
  test.setTimeout(420_000)
  const shared = mkdtempSync(join(tmpdir(), 'modelbench-e2e-shared-'))
  try {
    const projectId = await digitsProject(server, sourceDir, 20)
    const spec = {
      inputShape: [28, 28, 1],
      layers: [
        { type: 'Flatten', config: {} },
        { type: 'Dense', config: { units: 10, activation: 'softmax' } },
      ],
    }
    await callApi(server, 'architectures.save', { projectId, name: 'Linear', spec })

    await openApp(page, server, '#/clusters')
    await expect(page.getByTestId('clusters-empty')).toContainText('Runs train on this computer')
    await page.getByTestId('cluster-add').click()
    const form = page.getByTestId('cluster-form')
    await form.getByTestId('cluster-name').fill('Lab cluster')
    await form.getByTestId('cluster-sharedDir').fill(shared)
    // The nodes run the built command line (this machine is the cluster's only node).
    await form.getByTestId('cluster-command').fill(`${process.execPath} ${join(root, 'bin', 'modelbench.mjs')}`)
    await form.getByTestId('cluster-timeLimitMinutes').fill('30')
    await saveScreenshot(page, 'clusters-form')
    await form.getByTestId('cluster-save').click()
    const check = page.getByTestId('cluster-check')
    await expect(check).toContainText('Submitting a test job')
    await expect(check).toContainText(/^Ready: Job \d+ ran ModelBench/, { timeout: 120_000 })
    await saveScreenshot(page, 'clusters')

    await openApp(page, server, '#/train')
    await page.getByTestId('train-model').selectOption({ label: 'Linear v1' })
    await page.getByTestId('train-epochs').fill('2')
    await page.getByTestId('train-target').selectOption({ label: 'Lab cluster (Slurm)' })
    await page.getByTestId('sweep-open').click()
    const editor = page.getByTestId('sweep-editor')
    await editor.getByTestId('sweep-strategy').selectOption('random')
    await editor.getByTestId('sweep-trials').fill('4')
    await editor.getByTestId('sweep-at-once').fill('2')
    await editor.getByTestId('sweep-seed').fill('5')
    await expect(editor.getByTestId('sweep-plan')).toHaveText('4 trials, 2 at a time, as Slurm jobs on Lab cluster.')
    await editor.getByTestId('sweep-start').click()

    const view = page.getByTestId('sweep-view')
    await expect(view.getByTestId('sweep-trial')).toHaveCount(2, { timeout: 60_000 })
    // Each trial names its job; two are on the cluster at once.
    await expect(view.getByTestId('sweep-trial-job').first()).toContainText(/on Lab cluster \(Slurm job \d+/, {
      timeout: 60_000,
    })
    await view.scrollIntoViewIfNeeded()
    await saveScreenshot(page, 'cluster-sweep-progress')
    await expect(view).toHaveAttribute('data-status', 'completed', { timeout: 300_000 })
    await expect(view.getByTestId('sweep-counts')).toHaveText('4 of 4 trials done')
    await expect(view.getByTestId('sweep-trial-job')).toHaveCount(4)
    await expect(view.getByTestId('sweep-trial-job').first()).toContainText('completed on')
    await saveScreenshot(page, 'cluster-sweep-done')

    // A trial's run: its receipt names the cluster, job and node; its Slurm log is one click away.
    const sweepId = (await callApi<Array<{ id: string }>>(server, 'sweeps.list', { projectId }))[0]!.id
    const sweep = await callApi<{ trials: Array<{ runId: string }> }>(server, 'sweeps.get', { sweepId })
    await openApp(page, server, `#/runs/${sweep.trials[0]!.runId}`)
    await expect(page.getByTestId('receipt-cluster')).toContainText(/Lab cluster · Slurm job \d+ on \S+ · completed/)
    await page.getByTestId('run-job-log').click()
    await expect(page.getByTestId('run-job-log-text')).toBeVisible()
    await page.getByTestId('receipt').scrollIntoViewIfNeeded()
    await saveScreenshot(page, 'cluster-run-receipt')
  } finally {
    rmSync(shared, { recursive: true, force: true })
  }
})
