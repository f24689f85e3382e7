/**
 * A run in a main-area tab: its status and attempts, its logs (live while it runs) and its
 * report (each tab's HTML in a sandboxed frame, refreshed on every flush).
 */
import { ReactWidget } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import * as React from 'react';

import { KernelBridge } from './bridge';
import { SidebarModel } from './model';

export class RunView extends ReactWidget {
  constructor(
    readonly bridge: KernelBridge,
    readonly runId: string
  ) {
    super();
    this.id = `flyte-nb-run-${runId}`;
    this.addClass('jp-flyte-nb-run-view');
    bridge.model.changed.connect(this._onChange, this);
    bridge.send({ type: 'get_run', run: runId });
    this._onChange();
  }

  protected render(): JSX.Element {
    return <RunDetail model={this.bridge.model} runId={this.runId} />;
  }

  private _onChange(): void {
    const run = this.bridge.model.runs.get(this.runId);
    this.title.label = run ? `${run.task} ${run.id}: ${run.status.replace('_', ' ')}` : this.runId;
    this.update();
  }

  /** A closed tab is gone: the next click on its run opens a fresh one. */
  protected onCloseRequest(msg: Message): void {
    super.onCloseRequest(msg);
    this.dispose();
  }

  dispose(): void {
    this.bridge.model.changed.disconnect(this._onChange, this);
    super.dispose();
  }
}

function RunDetail(props: { model: SidebarModel; runId: string }): JSX.Element {
  const { model, runId } = props;
  const run = model.runs.get(runId);
  const report = model.reports.get(runId) ?? {};
  const tabs = Object.keys(report);
  const [tab, setTab] = React.useState('');
  const shown = tabs.includes(tab) ? tab : tabs[0];
  if (!run) {
    return <div className="jp-flyte-nb-run-detail">Run {runId} is not known to this kernel.</div>;
  }
  return (
    <div className="jp-flyte-nb-run-detail" data-run={run.id} data-status={run.status}>
      <h2>
        {run.task} <code>{run.id}</code>{' '}
        <span className={`jp-flyte-nb-status jp-flyte-nb-status-${run.status}`}>
          {run.status.replace('_', ' ')}
        </span>
      </h2>
      <p>
        runner {run.runner}
        {run.duration !== null && `, ${run.duration.toFixed(2)}s`}
        {run.output !== null && (
          <>
            , output <code>{run.output}</code>
          </>
        )}
      </p>
      {run.error && <pre className="jp-flyte-nb-error">{run.error}</pre>}
      <ol className="jp-flyte-nb-attempts">
        {run.attempts.map(a => (
          <li key={a.number}>
            attempt {a.number}: {a.status} {a.container ? `[${a.container}]` : ''}
            {a.error ? ` — ${a.error}` : ''}
          </li>
        ))}
      </ol>
      <h3>Report</h3>
      {tabs.length === 0 ? (
        <p className="jp-flyte-nb-hint jp-flyte-nb-report-empty">
          No report yet: the task needs report=True and flyte_nb.report.log(...) with do_flush=True.
        </p>
      ) : (
        <div className="jp-flyte-nb-report">
          {tabs.length > 1 && (
            <div role="tablist">
              {tabs.map(name => (
                <button
                  key={name}
                  role="tab"
                  aria-selected={name === shown}
                  className="jp-Button jp-mod-styled"
                  onClick={() => setTab(name)}
                >
                  {name}
                </button>
              ))}
            </div>
          )}
          <iframe
            title={`report of ${run.id}: ${shown}`}
            sandbox="allow-scripts"
            srcDoc={report[shown]}
          />
        </div>
      )}
      <h3>Logs</h3>
      <pre className="jp-flyte-nb-logs">{model.logs.get(runId) ?? ''}</pre>
    </div>
  );
}
