/** Page object for the Model page (stacker) and the Train page. */
import type { Locator, Page } from '@playwright/test'

export class ModelPage {
  readonly rows: Locator
  constructor(readonly page: Page) {
    this.rows = page.getByTestId('stack-row')
  }

  row(index: number): Locator {
    return this.rows.nth(index)
  }

  /** Drags a layer from the palette onto the row at `index` (it is inserted before that row). */
  async dragFromPalette(type: string, index: number): Promise<void> {
    await this.holdOver(type, this.row(index))
    await this.page.mouse.up()
  }

  /** Picks a layer up from the palette and holds it over `target`, the button still down. */
  async holdOver(type: string, target: Locator): Promise<void> {
    const source = this.page.getByTestId(`palette-${type}`)
    await source.scrollIntoViewIfNeeded()
    await target.scrollIntoViewIfNeeded()
    const s = (await source.boundingBox())!
    const t = (await target.boundingBox())!
    await this.page.mouse.move(s.x + 20, s.y + 12)
    await this.page.mouse.down()
    await this.page.mouse.move(s.x + 40, s.y + 30, { steps: 5 })
    await this.page.mouse.move(t.x + t.width / 2, t.y + t.height / 2, { steps: 15 })
  }

  async select(index: number): Promise<void> {
    await this.row(index).locator('.stack-type').click()
  }

  async setNumber(setting: string, value: number): Promise<void> {
    await this.page.getByTestId(`setting-${setting}`).fill(String(value))
  }
}
