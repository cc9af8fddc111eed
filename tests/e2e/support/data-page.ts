/** Page object for the Data page (import, labeler, split). */
import type { Locator, Page } from '@playwright/test'

export class DataPage {
  readonly importPath: Locator
  readonly importStart: Locator
  readonly summary: Locator
  readonly grid: Locator
  readonly cells: Locator
  readonly classes: Locator
  readonly status: Locator

  constructor(readonly page: Page) {
    this.importPath = page.getByTestId('import-path')
    this.importStart = page.getByTestId('import-start')
    this.summary = page.getByTestId('import-summary')
    this.grid = page.getByTestId('sample-grid')
    this.cells = page.getByTestId('sample-cell')
    this.classes = page.getByTestId('class-item')
    this.status = page.getByTestId('grid-status')
  }

  async importFolder(path: string): Promise<void> {
    await this.importPath.fill(path)
    await this.importStart.click()
  }

  /** The cell at a position in the current view (rendered only while scrolled into view). */
  cell(index: number): Locator {
    return this.page.locator(`[data-testid="sample-cell"][data-index="${index}"]`)
  }

  classCount(name: string): Locator {
    return this.classes.filter({ hasText: name }).getByTestId('class-count')
  }

  filter(name: string): Locator {
    return this.page.getByTestId(`filter-${name}`)
  }
}
