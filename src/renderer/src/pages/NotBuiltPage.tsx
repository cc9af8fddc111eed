/** Stands in for a page that a later issue builds: says plainly what it will do and that it is not there yet. */
import type { Project } from '../../../shared/contract'
import type { PageInfo } from '../routes'

interface Props {
  page: PageInfo
  project: Project | null
}

/** A page that works inside a project, opened with none open. */
export function OpenProjectFirst({ page, onGoToProjects }: { page: PageInfo; onGoToProjects: () => void }): React.JSX.Element {
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
export function ImportDataFirst({ title, testId, text }: { title: string; testId: string; text: string }): React.JSX.Element {
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

export function NotBuiltPage({ page, project }: Props): React.JSX.Element {
  return (
    <section className="page" data-testid={`page-${page.id}`}>
      <header className="page-header">
        <h1>{page.label}</h1>
        {project && <p className="muted">in {project.name}</p>}
      </header>
      <div className="empty-state">
        <h2>Not built yet</h2>
        <p>{page.purpose}</p>
        <p className="muted">
          This page is not part of this version of ModelBench{page.comingIn !== undefined ? ` (tracked as issue #${page.comingIn})` : ''}.
        </p>
      </div>
    </section>
  )
}
