/**
 * The app's pages, in navigation order: the one table a new page is added to. Each entry has what the
 * navigation shows, whether it needs an open project, and how it is drawn from what the shell gives
 * every page (the open project, the toasts, the undo slot). Alt+1… follow this order.
 */
import type { Project } from '../../shared/contract'
import { ClustersPage } from './pages/ClustersPage'
import { DataPage } from './pages/data/DataPage'
import { EnginePage } from './pages/EnginePage'
import { ExportPage } from './pages/export/ExportPage'
import { ModelPage } from './pages/model/ModelPage'
import { ProjectsPage } from './pages/ProjectsPage'
import { RunsPage } from './pages/runs/RunsPage'
import { TrainPage } from './pages/train/TrainPage'

/** What the shell hands every page. */
export interface ShellContext {
  projects: Project[] | null
  currentId: string | null
  /** Bumped to ask the Projects page to focus its name field (Ctrl+N). */
  focusNewProject: number
  openProject: (project: Project) => Promise<void>
  deleteProject: (project: Project) => Promise<void>
  onError: (err: unknown) => void
  onMessage: (message: string) => void
  setUndo: (undo: (() => Promise<void>) | null) => void
  go: (id: PageId) => void
}

/** A page inside a project also gets the project (it is drawn only while one is open). */
export interface ProjectContext extends ShellContext {
  project: Project
}

interface PageBase {
  label: string
  /** What the page does, shown when it needs a project and none is open. */
  purpose: string
}

type PageEntry = PageBase &
  (
    | { needsProject: false; view: (c: ShellContext) => React.JSX.Element }
    | { needsProject: true; view: (c: ProjectContext) => React.JSX.Element }
  )

const table = {
  projects: {
    label: 'Projects',
    needsProject: false,
    purpose: 'Create, open, rename and delete projects.',
    view: (c) => (
      <ProjectsPage
        projects={c.projects}
        currentId={c.currentId}
        focusRequest={c.focusNewProject}
        onOpen={c.openProject}
        onDelete={c.deleteProject}
        onError={c.onError}
      />
    ),
  },
  data: {
    label: 'Data',
    needsProject: true,
    purpose: 'Import a folder of images or a CSV file, label it with the keyboard and split it for training.',
    view: (c) => (
      <DataPage
        key={c.project.id}
        project={c.project}
        onError={c.onError}
        onMessage={c.onMessage}
        onOpenProject={c.openProject}
        setUndo={c.setUndo}
      />
    ),
  },
  model: {
    label: 'Model',
    needsProject: true,
    purpose: 'Stack layers by drag and drop, with output shapes and parameter counts shown as you go.',
    view: (c) => (
      <ModelPage
        key={c.project.id}
        project={c.project}
        onError={c.onError}
        onMessage={c.onMessage}
        onTrain={() => c.go('train')}
      />
    ),
  },
  train: {
    label: 'Train',
    needsProject: true,
    purpose: 'Choose settings, press Train and watch loss and accuracy live.',
    view: (c) => <TrainPage key={c.project.id} project={c.project} onError={c.onError} />,
  },
  runs: {
    label: 'Runs',
    needsProject: true,
    purpose: 'Every run with its settings and results; compare runs side by side and study the mistakes.',
    view: (c) => <RunsPage key={c.project.id} project={c.project} onError={c.onError} onMessage={c.onMessage} />,
  },
  export: {
    label: 'Export',
    needsProject: true,
    purpose: 'Export a trained model to TF.js or ONNX, verified to predict the same, with a model card.',
    view: (c) => <ExportPage key={c.project.id} project={c.project} onError={c.onError} />,
  },
  clusters: {
    label: 'Clusters',
    needsProject: false,
    purpose: 'Slurm clusters runs and sweeps can train on, each checked with a test job.',
    view: () => <ClustersPage />,
  },
  engine: {
    label: 'Engine & GPU',
    needsProject: false,
    purpose: 'Which engine trains here, and what the GPU needs.',
    view: () => <EnginePage />,
  },
} satisfies Record<string, PageEntry>

export type PageId = keyof typeof table
export type PageInfo = PageEntry & { id: PageId }

export const pages: readonly PageInfo[] = (Object.keys(table) as PageId[]).map(
  (id) => ({ id, ...table[id] }) as PageInfo,
)

/** Draws a page: a project page with the open project, or one of the shell's own pages. */
export function PageView({
  page,
  shell,
  project,
}: {
  page: PageInfo
  shell: ShellContext
  project: Project | null
}): React.JSX.Element | null {
  if (!page.needsProject) return page.view(shell)
  return project && page.view({ ...shell, project })
}

export function pageFromHash(hash: string): PageId {
  const id = hash.replace(/^#\/?/, '').split(/[/?]/)[0]
  return pages.find((p) => p.id === id)?.id ?? 'projects'
}
