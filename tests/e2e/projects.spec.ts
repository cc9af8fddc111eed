import { ProjectsPage } from './support/projects-page'
import { expect, openApp, saveScreenshot, test } from './support/fixtures'
import { startServer } from './support/server'

test('a new user creates a project, restarts the server and finds it again', async ({ page, server, dataDir }) => {
  await openApp(page, server)
  const projects = new ProjectsPage(page)
  await expect(projects.empty).toBeVisible()
  await expect(projects.empty).toContainText('No projects yet')
  await saveScreenshot(page, 'projects-empty-light')

  await projects.createAndOpen('Handwritten digits')
  // Creating opens the project and moves on to its Data page, ready for an import.
  await expect(page.getByTestId('page-data')).toContainText('Bring in your data')
  await expect(page.getByTestId('current-project')).toContainText('Handwritten digits')
  // The token is kept out of the address bar once the page has it.
  expect(page.url()).not.toContain('token=')

  await server.stop()
  const again = await startServer(dataDir)
  try {
    await openApp(page, again, '#/projects')
    await expect(projects.row('Handwritten digits')).toBeVisible()
    await expect(page.getByTestId('current-project')).toContainText('Handwritten digits')
  } finally {
    await again.stop()
  }
})

test('rename refuses a clash, delete asks first and can be undone', async ({ page, server }) => {
  await openApp(page, server, '#/projects')
  const projects = new ProjectsPage(page)
  await projects.createAndOpen('Cats vs dogs')
  await projects.goto()
  await projects.createAndOpen('Flowers')
  await projects.goto()
  await expect(projects.rows).toHaveCount(2)

  await projects.create('flowers')
  await expect(projects.createError).toHaveText('A project named "flowers" already exists')

  await projects.row('Cats vs dogs').getByTestId('project-rename').click()
  const input = page.getByTestId('rename-input')
  await input.fill('Flowers')
  await input.press('Enter')
  await expect(page.getByTestId('rename-error')).toHaveText('A project named "Flowers" already exists')
  await input.fill('Pets')
  await input.press('Enter')
  await expect(projects.row('Pets')).toBeVisible()

  await projects.row('Pets').getByTestId('project-delete').click()
  const dialog = page.getByTestId('confirm-dialog')
  await expect(dialog).toContainText('Delete “Pets”?')
  await saveScreenshot(page, 'projects-delete-dialog-light')
  await page.keyboard.press('Escape')
  await expect(dialog).toBeHidden()
  await expect(projects.row('Pets')).toBeVisible()

  await projects.row('Pets').getByTestId('project-delete').click()
  await page.getByTestId('confirm-button').click()
  await expect(projects.row('Pets')).toHaveCount(0)
  await expect(page.getByTestId('toast')).toContainText('Deleted “Pets”')
  await page.getByTestId('toast-action').click()
  await expect(projects.row('Pets')).toBeVisible()

  // Ctrl+Z undoes a delete too.
  await projects.row('Flowers').getByTestId('project-delete').click()
  await page.getByTestId('confirm-button').click()
  await expect(projects.row('Flowers')).toHaveCount(0)
  await page.locator('body').press('Control+z')
  await expect(projects.row('Flowers')).toBeVisible()
})

test('pages without a project or data say what to do next, and keyboard navigation works', async ({ page, server }) => {
  await openApp(page, server)
  await page.keyboard.press('Alt+3')
  await expect(page).toHaveURL(/#\/model$/)
  await expect(page.getByTestId('page-model')).toContainText('Open a project first')
  await page.keyboard.press('Alt+1')
  await new ProjectsPage(page).createAndOpen('Flowers')
  await expect(page.getByTestId('page-data')).toContainText('Bring in your data')
  await page.keyboard.press('Alt+3')
  await expect(page.getByTestId('page-model')).toContainText('Import data first')
  await page.keyboard.press('Alt+5')
  await expect(page.getByTestId('page-runs')).toContainText('No runs yet')
  await page.keyboard.press('Alt+6')
  await expect(page.getByTestId('export-empty')).toContainText('No finished runs to export yet')
  // Every page of the navigation has its key: Clusters the seventh, Engine & GPU the eighth.
  await page.keyboard.press('Alt+7')
  await expect(page).toHaveURL(/#\/clusters$/)
  await page.keyboard.press('Alt+8')
  await expect(page).toHaveURL(/#\/engine$/)
  await expect(page.getByTestId('page-engine')).toBeVisible()
  await page.keyboard.press('Control+n')
  await expect(page.getByTestId('new-project-name')).toBeFocused()
})

for (const scheme of ['light', 'dark'] as const) {
  test(`the shell in ${scheme} mode`, async ({ page, server }) => {
    await page.emulateMedia({ colorScheme: scheme })
    await openApp(page, server, '#/projects')
    const projects = new ProjectsPage(page)
    for (const name of ['Handwritten digits', 'Iris flowers', 'Cats vs dogs']) {
      await projects.createAndOpen(name)
      await projects.goto()
    }
    await expect(projects.rows).toHaveCount(3)
    const background = await page.evaluate(() =>
      getComputedStyle(document.documentElement).getPropertyValue('--bg').trim(),
    )
    expect(background).toBe(scheme === 'dark' ? '#14161b' : '#f6f7f9')
    await saveScreenshot(page, `shell-${scheme}`)
    await page.getByTestId('nav-export').click()
    await expect(page.getByTestId('export-empty')).toBeVisible()
    await saveScreenshot(page, `export-empty-${scheme}`)
  })
}
