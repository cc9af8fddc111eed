/** Page object for the projects page. */
import { expect, type Locator, type Page } from '@playwright/test'

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

  /** Types a name and presses Enter; returns at once (use it when the create should be refused). */
  async create(name: string): Promise<void> {
    await this.nameInput.fill(name)
    await this.nameInput.press('Enter')
  }

  /**
   * Creates a project and waits until the app has opened it on its Data page. Without the wait a
   * following click could land before the app's own move to Data, which then undoes it.
   */
  async createAndOpen(name: string): Promise<void> {
    await this.create(name)
    await expect(this.page.getByTestId('current-project')).toContainText(name)
    await expect(this.page.getByTestId('page-data')).toBeVisible()
  }

  row(name: string): Locator {
    return this.rows.filter({ has: this.page.getByTestId('project-open').getByText(name, { exact: true }) })
  }
}
