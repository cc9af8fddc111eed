/**
 * Issue 15, item 8: every page at 1024×700, 1280×800 and 1920×1080, on a project with images and a finished
 * run: the page does not scroll sideways, nothing spills out of its card (a table that scrolls inside its own
 * box is fine), and no two pieces of text overlap — all measured in the page. A screenshot of each is saved
 * under tests/e2e/screenshots/layout-<page>-<size>.png.
 */
import type { Page } from '@playwright/test'
import { expect, openApp, saveScreenshot, test } from './support/fixtures'
import { digitsWithRun } from './support/digits-run'

const sizes = [
  { width: 1024, height: 700 },
  { width: 1280, height: 800 },
  { width: 1920, height: 1080 },
]
const pages = ['projects', 'data', 'model', 'train', 'runs', 'export', 'clusters', 'engine'] as const

/** What is wrong with the layout now, in words; empty when nothing is. */
async function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = []
    const name = (el: Element): string => {
      const id = el.getAttribute('data-testid')
      const cls =
        typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).join('.')}` : ''
      return `${el.tagName.toLowerCase()}${id ? `[data-testid=${id}]` : cls}`
    }
    const doc = document.documentElement
    if (doc.scrollWidth > doc.clientWidth + 1)
      problems.push(`the page scrolls sideways: ${doc.scrollWidth} px wide in ${doc.clientWidth}`)
    const main = document.querySelector('main')
    if (!main) return ['no main element']
    if (main.scrollWidth > main.clientWidth + 1)
      problems.push(`the main area scrolls sideways: ${main.scrollWidth} px wide in ${main.clientWidth}`)

    /** Rendered and not hidden; `sized` also asks for a box (text can spill out of a box squeezed to nothing). */
    const shown = (el: Element, sized = true): boolean => {
      const s = getComputedStyle(el)
      const r = el.getBoundingClientRect()
      return (
        s.visibility !== 'hidden' &&
        s.display !== 'none' &&
        (!sized || (r.width > 0 && r.height > 0)) &&
        !el.closest('.sr-only, [hidden], [aria-hidden="true"]')
      )
    }
    /** The nearest ancestor (up to `stop`) that clips or scrolls sideways: what is inside it cannot spill past `stop`. */
    const scrollsWithin = (el: Element, stop: Element): boolean => {
      for (let a = el.parentElement; a && a !== stop; a = a.parentElement) {
        const o = getComputedStyle(a).overflowX
        if (o === 'auto' || o === 'scroll' || o === 'hidden' || o === 'clip') return true
      }
      return false
    }
    // Nothing spills out of its card or panel, or out of the main area.
    for (const box of [main, ...Array.from(main.querySelectorAll('.card, .panel, .chart-card'))]) {
      if (!shown(box)) continue
      const edge = box.getBoundingClientRect()
      for (const el of Array.from(box.querySelectorAll('*'))) {
        if (!shown(el) || scrollsWithin(el, box) || getComputedStyle(el).position === 'fixed') continue
        const r = el.getBoundingClientRect()
        if (r.right > edge.right + 1 || r.left < edge.left - 1) {
          problems.push(
            `${name(el)} spills out of ${name(box)} by ${Math.round(Math.max(r.right - edge.right, edge.left - r.left))} px`,
          )
          break
        }
      }
    }
    // No two pieces of text overlap: every text node's line boxes against every other's, each cut to what its
    // scrolling boxes show. A bar that stays on screen (position: sticky, with a background) is painted over
    // what scrolls under it, so text under it is hidden, not overlapped.
    const clipped = (rect: DOMRect, el: Element): DOMRect | null => {
      let { left, top, right, bottom } = rect
      for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
        const s = getComputedStyle(a)
        if (s.overflowX === 'visible' && s.overflowY === 'visible') continue
        const c = a.getBoundingClientRect()
        left = Math.max(left, c.left)
        top = Math.max(top, c.top)
        right = Math.min(right, c.right)
        bottom = Math.min(bottom, c.bottom)
      }
      return right - left > 1 && bottom - top > 1 ? new DOMRect(left, top, right - left, bottom - top) : null
    }
    const stickyBar = (el: Element): Element | null => {
      for (let a: Element | null = el; a && a !== main; a = a.parentElement) {
        const s = getComputedStyle(a)
        if ((s.position === 'sticky' || s.position === 'fixed') && s.backgroundColor !== 'rgba(0, 0, 0, 0)') return a
      }
      return null
    }
    const boxes: { rect: DOMRect; owner: Element; bar: Element | null; text: string }[] = []
    const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT)
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const text = n.textContent?.trim()
      const owner = n.parentElement
      if (!text || !owner || !shown(owner, false) || owner.closest('option, select, textarea')) continue
      const range = document.createRange()
      range.selectNodeContents(n)
      for (const line of Array.from(range.getClientRects())) {
        const rect = clipped(line, owner)
        if (rect) boxes.push({ rect, owner, bar: stickyBar(owner), text: text.slice(0, 30) })
      }
    }
    for (let i = 0; i < boxes.length && problems.length < 20; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i]!
        const b = boxes[j]!
        if (a.owner === b.owner || a.bar !== b.bar) continue
        const w = Math.min(a.rect.right, b.rect.right) - Math.max(a.rect.left, b.rect.left)
        const h = Math.min(a.rect.bottom, b.rect.bottom) - Math.max(a.rect.top, b.rect.top)
        if (w > 2 && h > 2) problems.push(`text “${a.text}” (${name(a.owner)}) overlaps “${b.text}” (${name(b.owner)})`)
      }
    }
    return problems
  })
}

test('every page fits at 1024×700, 1280×800 and 1920×1080: no sideways scroll, nothing spills out of a card, no overlapping text', async ({
  page,
  server,
  sourceDir,
}) => {
  test.setTimeout(300_000)
  const { runId } = await digitsWithRun(server, sourceDir, 6)
  const found: string[] = []
  for (const size of sizes) {
    await page.setViewportSize(size)
    for (const name of [...pages, 'run'] as const) {
      await openApp(page, server, name === 'run' ? `#/runs/${runId}` : `#/${name}`)
      await expect(page.getByTestId(name === 'run' ? 'run-detail' : `page-${name}`)).toBeVisible()
      await page.waitForLoadState('networkidle')
      await saveScreenshot(page, `layout-${name}-${size.width}x${size.height}`)
      for (const p of await layoutProblems(page)) found.push(`${name} at ${size.width}×${size.height}: ${p}`)
    }
  }
  console.log(`layout: ${(pages.length + 1) * sizes.length} page views measured, ${found.length} problems`)
  for (const f of found) console.log(f)
  expect(found).toEqual([])
})
