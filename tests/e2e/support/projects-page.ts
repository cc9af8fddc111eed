/** Page object for the projects page. */
import type { Locator, Page } from '@playwright/test'

export class ProjectsPage {
  readonly nameInput: Locator
  readonly createButton: Locator
  readonly rows: Locator
  readonly empty: Locator
  readonly createError: Locator

  constructor(readonly page: Page) {
    this.nameInput = page.getByTestId('new-project-name')
    this.createButton = page.getByTestId('create-project')
    this.rows = page.getByTestId('project-row')
    this.empty = page.getByTestId('projects-empty')
    this.createError = page.getByTestId('create-error')
  }

  async goto(): Promise<void> {
    await this.page.getByTestId('nav-projects').click()
  }

  async create(name: string): Promise<void> {
    await this.nameInput.fill(name)
    await this.nameInput.press('Enter')
  }

  row(name: string): Locator {
    return this.rows.filter({ has: this.page.getByTestId('project-open').getByText(name, { exact: true }) })
  }
}
