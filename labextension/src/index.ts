/**
 * flyte_nb's JupyterLab extension: wiring only. The model (model.ts), the comm bridge
 * (bridge.ts) and the views (sidebar.tsx, runview.tsx) live in their own files.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookActions, NotebookPanel } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { LabIcon } from '@jupyterlab/ui-components';

import { KernelBridge } from './bridge';
import { SidebarModel } from './model';
import { RunView } from './runview';
import { FlyteSidebar } from './sidebar';

const PLUGIN_ID = 'flyte-nb-labextension:plugin';

export namespace CommandIDs {
  export const open = 'flyte-nb:open';
  export const refresh = 'flyte-nb:refresh';
  export const insertCode = 'flyte-nb:insert-code';
  export const openRun = 'flyte-nb:open-run';
}

export const flyteIcon = new LabIcon({
  name: 'flyte-nb:icon',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">' +
    '<g class="jp-icon3" fill="#616161"><path d="M12 2 3 7v10l9 5 9-5V7zm0 2.3 6.8 3.8L12 11.9 5.2 8.1zM5 9.8l6 ' +
    '3.4v6.5l-6-3.4zm8 9.9v-6.5l6-3.4v6.5z"/></g></svg>'
});

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'flyte_nb sidebar: environments, tasks, three-level settings and runs of the active kernel.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette, ISettingRegistry, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null,
    restorer: ILayoutRestorer | null
  ) => {
    const model = new SidebarModel();
    const bridge = new KernelBridge(model);
    const runViews = new Map<string, RunView>();
    let area: 'left' | 'right' = 'right';
    let openReportOnFinish = false;

    // A new cell below the active one; focus moves into it (edit mode), so the next Shift+Enter
    // runs it instead of pressing the sidebar's button again.
    const insertCell = (code: string): void => {
      const panel = tracker.currentWidget;
      if (!panel) {
        return;
      }
      NotebookActions.insertBelow(panel.content);
      const cell = panel.content.activeCell;
      cell?.model.sharedModel.setSource(code);
      void cell?.ready.then(() => {
        if (panel.content.activeCell === cell) {
          panel.content.mode = 'edit'; // the notebook's activation then focuses the cell's editor
          app.shell.activateById(panel.id);
          requestAnimationFrame(() => cell.editor?.focus());
        }
      });
    };

    // A run is a main-area tab next to the notebook (never a split that squeezes it); a closed
    // tab is disposed (RunView.onCloseRequest), so clicking the run again opens a new one.
    const openRun = (id: string): void => {
      let view = runViews.get(id);
      if (!view || view.isDisposed) {
        view = new RunView(bridge, id);
        view.title.icon = flyteIcon;
        view.title.closable = true;
        runViews.set(id, view);
      }
      if (!view.isAttached) {
        const ref = tracker.currentWidget?.id ?? null;
        app.shell.add(view, 'main', { mode: 'tab-after', ref, activate: true });
      }
      app.shell.activateById(view.id);
    };

    const sidebar = new FlyteSidebar(bridge, {
      openRun,
      insertCode: () => void app.commands.execute(CommandIDs.insertCode),
      refresh: () => void app.commands.execute(CommandIDs.refresh)
    });
    sidebar.title.icon = flyteIcon;
    app.shell.add(sidebar, area, { rank: 650 });
    restorer?.add(sidebar, sidebar.id);

    // Follow the active notebook's kernel, and its kernel changes.
    let followed: NotebookPanel | null = null;
    const followKernel = (): void => {
      const kernel = followed?.sessionContext.session?.kernel ?? null;
      bridge.follow(kernel, followed?.context.path ?? '');
    };
    const follow = (panel: NotebookPanel | null): void => {
      followed?.sessionContext.kernelChanged.disconnect(followKernel);
      followed = panel;
      panel?.sessionContext.kernelChanged.connect(followKernel);
      followKernel();
      void panel?.sessionContext.ready.then(() => {
        if (followed === panel) {
          followKernel();
        }
      });
    };
    tracker.currentChanged.connect((_, panel) => follow(panel));
    follow(tracker.currentWidget);

    model.insertRequested.connect((_, code) => insertCell(code));
    model.runFinished.connect((_, run) => {
      if (openReportOnFinish && run.report_tabs.length > 0) {
        openRun(run.id);
      }
    });

    app.commands.addCommand(CommandIDs.open, {
      label: 'Open the flyte_nb sidebar',
      icon: flyteIcon,
      execute: () => app.shell.activateById(sidebar.id)
    });
    app.commands.addCommand(CommandIDs.refresh, {
      label: 'Ask the kernel for flyte_nb again',
      execute: () => bridge.open()
    });
    app.commands.addCommand(CommandIDs.insertCode, {
      label: 'Insert the selected flyte_nb settings as code below the active cell',
      isEnabled: () => model.entity !== null && tracker.currentWidget !== null,
      execute: () => {
        if (model.entity) {
          insertCell(model.entity.code);
        }
      }
    });
    app.commands.addCommand(CommandIDs.openRun, {
      label: args => (args.id ? `Open flyte_nb run ${args.id}` : 'Open the latest flyte_nb run'),
      isEnabled: args => Boolean(args.id) || model.runs.size > 0,
      execute: args => {
        const id = (args.id as string | undefined) ?? model.runList[0]?.id;
        if (id) {
          openRun(id);
        }
      }
    });
    for (const command of Object.values(CommandIDs)) {
      palette?.addItem({ command, category: 'flyte_nb' });
    }

    if (settingRegistry) {
      const apply = (settings: ISettingRegistry.ISettings): void => {
        model.maxRuns = settings.get('maxRuns').composite as number;
        openReportOnFinish = settings.get('openReportOnFinish').composite as boolean;
        const wanted = settings.get('area').composite as 'left' | 'right';
        if (wanted !== area) {
          area = wanted;
          app.shell.add(sidebar, area, { rank: 650 });
        }
        sidebar.update();
      };
      void settingRegistry.load(PLUGIN_ID).then(settings => {
        apply(settings);
        settings.changed.connect(apply);
      });
    }
  }
};

export default plugin;
