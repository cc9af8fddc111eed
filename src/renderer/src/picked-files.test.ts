import { describe, expect, it } from 'vitest'
import { routePicked } from './picked-files'

const picked = (...paths: string[]): Array<{ file: File; relativePath: string }> =>
  paths.map((relativePath) => ({ file: new File(['x'], relativePath.split('/').pop()!), relativePath }))

describe('routing picked and dropped files by kind', () => {
  it('sends a table to the table preview in a new project, and images to the image import', () => {
    expect(routePicked(picked('iris.csv'), null)).toMatchObject({
      action: 'table',
      table: { relativePath: 'iris.csv' },
      note: null,
    })
    expect(routePicked(picked('Iris.TSV'), 'table')).toMatchObject({ action: 'table', note: null })
    expect(routePicked(picked('pets/cats/1.png', 'pets/dogs/2.png'), null)).toMatchObject({
      action: 'images',
      note: null,
    })
    // A CSV inside a dropped folder is part of that folder (the image import reports it).
    expect(routePicked(picked('pets/cats/1.png', 'pets/labels.csv'), null)).toMatchObject({
      action: 'images',
      note: null,
    })
  })

  it('says what a mixed drop did with each file', () => {
    const mixed = routePicked(picked('a.png', 'b.png', 'prices.csv'), null)
    expect(mixed).toMatchObject({ action: 'table', table: { relativePath: 'prices.csv' } })
    expect(mixed.action === 'table' && mixed.note).toBe(
      'a.png, b.png not imported: a project holds a table or images, not both; import the images into another project.',
    )
    const inImages = routePicked(picked('a.png', 'prices.csv'), 'image')
    expect(inImages).toMatchObject({
      action: 'images',
      files: [{ relativePath: 'a.png' }],
      note: 'prices.csv not imported: a project holds images or a table, not both; import it into another project.',
    })
    const twoTables = routePicked(picked('a.csv', 'b.csv'), null)
    expect(twoTables.action === 'table' && twoTables.note).toBe(
      'Tables are imported one at a time: b.csv not imported; import it on its own.',
    )
  })

  it('refuses what the project cannot hold, with the reason', () => {
    expect(routePicked(picked('iris.csv'), 'image')).toEqual({
      action: 'refuse',
      message: 'iris.csv: this is an image project, so it takes images, not tables; import a table into a new project',
    })
    expect(routePicked(picked('a.png', 'pets/cats/1.png'), 'table')).toEqual({
      action: 'refuse',
      message:
        'a.png, pets: this is a table project, so it takes a CSV or TSV file, not images; import images into a new project',
    })
  })
})
