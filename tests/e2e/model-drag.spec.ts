/**
 * Issue 15, item 14: a layer dragged from the palette shows where it will land before it is let go,
 * "+" never adds after the output layer, and "Insert Flatten" leaves one Flatten and no error.
 */
import { expect, openApp, saveScreenshot, test } from './support/fixtures'
import { digitsProject } from './support/digits-run'
import { ModelPage } from './support/model-page'

test('a dragged layer shows where it lands; + never adds after the output; Insert Flatten leaves one Flatten', async ({
  page,
  server,
  sourceDir,
}) => {
  await digitsProject(server, sourceDir, 4)
  await openApp(page, server, '#/model')
  const model = new ModelPage(page)
  await expect(model.rows.first()).toBeVisible()
  const types = async (): Promise<string[]> =>
    model.rows.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-type') ?? ''))
  const before = await types()
  expect(before.at(-1)).toBe('Dense')

  // Held over the third row: a line above it says what goes there, and nothing has changed yet.
  await model.holdOver('Dropout', model.row(2))
  const marker = page.getByTestId('drop-marker')
  await expect(marker).toHaveCount(1)
  await expect(marker).toHaveText('Dropout goes here, after layer 2')
  await expect(model.row(2)).toHaveClass(/landing/)
  expect(await types()).toEqual(before)
  await saveScreenshot(page, 'model-drop-marker')
  await page.mouse.up()
  await expect(marker).toHaveCount(0)
  expect(await types()).toEqual([...before.slice(0, 2), 'Dropout', ...before.slice(2)])

  // Over the end of the stack it says that means after the output layer; Escape puts the layer back.
  const withDropout = await types()
  await model.holdOver('Dense', page.getByTestId('stack-end'))
  await expect(page.getByTestId('stack-end')).toHaveText('Dense goes at the end, after the output layer')
  await page.keyboard.press('Escape')
  await page.mouse.up()
  await expect(page.getByTestId('stack-end')).toHaveText('Drop a layer here to add it at the end')
  expect(await types()).toEqual(withDropout)

  // "+" with nothing selected, or with the output layer selected, adds before the output layer.
  await page.getByTestId('add-BatchNormalization').click()
  expect((await types()).slice(-2)).toEqual(['BatchNormalization', 'Dense'])
  await model.select((await types()).length - 1)
  await page.getByTestId('add-Dropout').click()
  expect((await types()).slice(-2)).toEqual(['Dropout', 'Dense'])

  // A Dense moved above the Flatten cannot follow a 2-D shape; the quick fix moves the Flatten up.
  const flatten = (await types()).indexOf('Flatten')
  await model.select(flatten)
  await page.getByTestId('add-Dense').click() // a Dense after the Flatten
  await model.row(flatten + 1).focus()
  await page.keyboard.press('Alt+ArrowUp') // now before the Flatten
  await expect(model.row(flatten)).toHaveAttribute('data-type', 'Dense')
  await expect(model.row(flatten)).toHaveClass(/has-error/)
  await page.getByTestId('quick-fix').click()
  const fixed = await types()
  expect(fixed.filter((t) => t === 'Flatten')).toHaveLength(1)
  expect(fixed.slice(flatten, flatten + 2)).toEqual(['Flatten', 'Dense'])
  await expect(page.locator('.stack-row.has-error')).toHaveCount(0)
})
