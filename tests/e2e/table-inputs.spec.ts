import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tableCases } from '../fixtures/bad-tables'
import { DataPage } from './support/data-page'
import { expect, openApp, saveScreenshot, test } from './support/fixtures'
import { ProjectsPage } from './support/projects-page'

const write = (dir: string, file: string): string => {
  const c = tableCases.find((t) => t.file === file)!
  const path = join(dir, file)
  writeFileSync(path, c.data)
  return path
}

test('a decimal-comma CSV previews as numbers; a stray word is named with its row; a column type can be changed before import', async ({
  page,
  server,
  sourceDir,
}) => {
  await openApp(page, server)
  await new ProjectsPage(page).createAndOpen('Tables')
  const data = new DataPage(page)

  await data.importFolder(write(sourceDir, 'iris-de.csv'))
  const preview = page.getByTestId('table-preview')
  await expect(preview).toBeVisible()
  for (const name of ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'])
    await expect(page.getByTestId(`column-type-${name}`)).toHaveValue('numeric')
  await expect(page.getByTestId('column-type-species')).toHaveValue('categorical')
  await expect(page.getByTestId('table-warnings')).toContainText(
    'Decimal commas (as in 5,1) are read as numbers in “sepal_length”, “sepal_width”, “petal_length” and “petal_width”',
  )
  await saveScreenshot(page, 'table-decimal-comma')
  await preview.getByRole('button', { name: 'Cancel' }).click()

  await data.importFolder(write(sourceDir, 'stray.csv'))
  await expect(page.getByTestId('column-type-length')).toHaveValue('numeric')
  await expect(page.getByTestId('table-warnings')).toContainText(
    '“length” is numeric, but 1 value is not a number (row 17 “abc”): read as missing',
  )
  await saveScreenshot(page, 'table-stray-value')
  // The user keeps the word as text instead: the column is imported as categories.
  await page.getByTestId('column-type-length').selectOption('categorical')
  await page.getByTestId('target-column').selectOption('kind')
  await page.getByTestId('table-import').click()
  await expect(data.summary).toContainText('Imported 150 rows')
  await expect(page.getByTestId('table-preview')).toHaveCount(0)
})

test('a file with a header and no rows is refused at preview, naming the file and the reason', async ({
  page,
  server,
  sourceDir,
}) => {
  await openApp(page, server)
  await new ProjectsPage(page).createAndOpen('Empty')
  const data = new DataPage(page)
  await data.importFolder(write(sourceDir, 'header.csv'))
  await expect(page.getByTestId('toast')).toContainText(
    'header.csv cannot be imported: it has a header row but no data rows',
  )
  await expect(page.getByTestId('table-preview')).toHaveCount(0)
})
