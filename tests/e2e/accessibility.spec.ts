/**
 * Issue 15, item 13: an automated accessibility scan (axe-core) of every page, in the light and the dark
 * theme, on a project with images, a finished run and an export: no serious or critical violation.
 */
import AxeBuilder from '@axe-core/playwright'
import type { Page } from '@playwright/test'
import { expect, openApp, test } from './support/fixtures'
import { digitsProject, digitsWithRun } from './support/digits-run'

const pages = ['projects', 'data', 'model', 'train', 'runs', 'export', 'clusters', 'engine'] as const

async function serious(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} — ${v.nodes.length} element(s), e.g. ${v.nodes[0]?.target.join(' ')}: ${v.nodes[0]?.failureSummary?.replace(/\s+/g, ' ')}`,
    )
}

test('every page passes an axe-core scan in both themes: 0 serious or critical violations', async ({
  page,
  server,
  sourceDir,
}) => {
  test.setTimeout(240_000)
  const { runId } = await digitsWithRun(server, sourceDir, 6)

  const found: string[] = []
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme })
    for (const name of pages) {
      await openApp(page, server, `#/${name}`)
      await expect(page.getByTestId(`page-${name}`)).toBeVisible()
      await page.waitForLoadState('networkidle')
      for (const v of await serious(page)) found.push(`${scheme} ${name}: ${v}`)
      if (name === 'data') {
        // The camera dialog (item 15), open over the labeler.
        await page.getByTestId('camera-open').click()
        await expect
          .poll(() => page.getByTestId('camera-video').evaluate((v: HTMLVideoElement) => v.videoWidth))
          .toBeGreaterThan(0)
        for (const v of await serious(page)) found.push(`${scheme} camera dialog: ${v}`)
        await page.keyboard.press('Escape')
        await expect(page.getByTestId('camera-dialog')).toHaveCount(0)
      }
    }
    // The run's own page, with Try it and the mistakes gallery.
    await openApp(page, server, `#/runs/${runId}`)
    await expect(page.getByTestId('run-detail')).toBeVisible()
    await page.waitForLoadState('networkidle')
    for (const v of await serious(page)) found.push(`${scheme} run: ${v}`)
  }
  console.log(
    `accessibility: ${pages.length + 1} pages and the camera dialog × 2 themes scanned, ${found.length} serious or critical violations`,
  )
  for (const f of found) console.log(f)
  expect(found).toEqual([])
})

test('the keyboard reaches everything visibly: a skip link, Enter on a palette + adds the layer, and each edit is announced in words', async ({
  page,
  server,
  sourceDir,
}) => {
  await digitsProject(server, sourceDir, 4)
  await openApp(page, server, '#/model')
  const rows = page.getByTestId('stack-row')
  await expect(rows.first()).toBeVisible()

  // The first Tab stop is the skip link, shown when focused; it moves focus to the page without changing the route.
  await page.keyboard.press('Tab')
  const skip = page.getByTestId('skip-link')
  await expect(skip).toBeFocused()
  expect((await skip.boundingBox())!.y).toBeGreaterThanOrEqual(0)
  await page.keyboard.press('Enter')
  await expect(page.locator('main#main')).toBeFocused()
  expect(new URL(page.url()).hash).toBe('#/model')

  // No invisible focus stop: every one of the next 60 Tab stops is on screen-sized, visible, and shows a focus ring.
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab')
    const stop = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null
      if (!el || el === document.body) return null
      const box = el.getBoundingClientRect()
      const style = getComputedStyle(el)
      const ring =
        (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) ||
        style.boxShadow !== 'none' ||
        el.matches('input, select, textarea')
      return {
        what: `${el.tagName.toLowerCase()} “${(el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 40)}”`,
        w: box.width,
        h: box.height,
        hidden: style.visibility === 'hidden' || Number(style.opacity) === 0,
        ring,
      }
    })
    if (!stop) continue
    expect(stop.w * stop.h, `${stop.what} has no size`).toBeGreaterThan(0)
    expect(stop.hidden, `${stop.what} is hidden`).toBe(false)
    expect(stop.ring, `${stop.what} shows no focus ring`).toBe(true)
  }

  // Enter on a palette "+" adds the layer (before the output layer), it does not start a drag; the change is announced.
  const before = await rows.count()
  await page.getByTestId('add-Dropout').focus()
  await page.keyboard.press('Enter')
  await expect(rows).toHaveCount(before + 1)
  await expect(rows.nth(before - 1)).toHaveAttribute('data-type', 'Dropout')
  const said = page.getByTestId('stack-announcement')
  await expect(said).toHaveText(`Dropout added after layer ${before - 1}`)
  await expect(said).toHaveAttribute('role', 'status')

  // A row's own keys: Alt+↑ moves it, Delete removes it, Ctrl+Z undoes; each said in words.
  await rows.nth(before - 1).focus()
  await page.keyboard.press('Alt+ArrowUp')
  await expect(rows.nth(before - 2)).toHaveAttribute('data-type', 'Dropout')
  await expect(said).toHaveText(`Dropout moved from layer ${before} to layer ${before - 1}`)
  await rows.nth(before - 2).focus()
  await page.keyboard.press('Delete')
  await expect(rows).toHaveCount(before)
  await expect(said).toHaveText(`Layer ${before - 1}, Dropout, removed; ${before} layers left`)
  await page.keyboard.press('Control+z')
  await expect(rows).toHaveCount(before + 1)
  await expect(said).toHaveText('Undid Remove Dropout')
})
