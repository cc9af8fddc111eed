/** Empty states shared by pages: no project open, no data imported yet. */
import type { PageInfo } from '../routes'

/** A page that works inside a project, opened with none open. */
export function OpenProjectFirst({
  page,
  onGoToProjects,
}: {
  page: PageInfo
  onGoToProjects: () => void
}): React.JSX.Element {
  return (
    <section className="page" data-testid={`page-${page.id}`}>
      <header className="page-header">
        <h1>{page.label}</h1>
      </header>
      <div className="empty-state" data-testid="open-project-first">
        <h2>Open a project first</h2>
        <p>{page.purpose}</p>
        <button className="button primary" onClick={onGoToProjects}>
          Go to projects
        </button>
      </div>
    </section>
  )
}

/** A page that works on the project's data, opened before any was imported. */
export function ImportDataFirst({
  title,
  testId,
  text,
}: {
  title: string
  testId: string
  text: string
}): React.JSX.Element {
  return (
    <section className="page" data-testid={testId}>
      <header className="page-header">
        <h1>{title}</h1>
      </header>
      <div className="empty-state">
        <h2>Import data first</h2>
        <p>{text}</p>
        <a className="button primary" href="#/data">
          Go to the Data page
        </a>
      </div>
    </section>
  )
}
