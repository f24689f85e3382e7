/**
 * The sidebar: environments and tasks as a tree, the selected one's three-level form, the runs.
 *
 * Everything it draws comes from the model (what the kernel sent): one row per parameter of the
 * kernel's table (effective value, level chip), its levels behind a disclosure, a level that
 * cannot be set shows the kernel's reason in text, an editor is the parameter's typed form
 * (form.tsx). Edits go to the kernel, which validates them; errors come back to the field.
 */
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { KernelBridge } from './bridge';
import { LevelEditor } from './form';
import { fieldKey, LOAD_LINE, SidebarModel, showValue } from './model';
import { IEntity, IRow, IRun } from './protocol';
import { TimelineSection } from './timeline';

/** What the sidebar asks the application to do (commands of index.ts). */
export interface ISidebarActions {
  openRun(id: string): void;
  insertCode(): void;
  refresh(): void;
}

export class FlyteSidebar extends ReactWidget {
  constructor(
    readonly bridge: KernelBridge,
    private readonly _actions: ISidebarActions
  ) {
    super();
    this.id = 'flyte-nb-sidebar';
    this.addClass('jp-flyte-nb-sidebar');
    this.title.caption = 'flyte_nb: environments, tasks and runs';
    bridge.model.changed.connect(() => this.update(), this);
  }

  protected render(): JSX.Element {
    return <SidebarView bridge={this.bridge} actions={this._actions} />;
  }
}

function SidebarView(props: { bridge: KernelBridge; actions: ISidebarActions }): JSX.Element {
  const { bridge, actions } = props;
  const model = bridge.model;
  return (
    <div className="jp-flyte-nb-body">
      <header className="jp-flyte-nb-header">
        <h2>flyte_nb</h2>
        <span className="jp-flyte-nb-source" title={model.source}>
          {model.source}
        </span>
        <button
          className="jp-Button jp-mod-styled jp-mod-reject jp-flyte-nb-refresh"
          onClick={actions.refresh}
          title="Ask the kernel again (flyte_nb: Refresh)"
        >
          Refresh
        </button>
      </header>
      {model.status === 'connected' ? (
        <Connected bridge={bridge} actions={actions} />
      ) : (
        <EmptyState model={model} />
      )}
    </div>
  );
}

function EmptyState(props: { model: SidebarModel }): JSX.Element {
  const { status } = props.model;
  let text: JSX.Element;
  if (status === 'no-kernel') {
    text = <p>Open a notebook with a Python kernel to see its flyte_nb environments and tasks.</p>;
  } else if (status === 'connecting') {
    text = <p>Asking the kernel for flyte_nb…</p>;
  } else {
    text = (
      <>
        <p>This kernel has not loaded flyte_nb. Run this in a cell:</p>
        <pre className="jp-flyte-nb-load-line">{LOAD_LINE}</pre>
      </>
    );
  }
  return (
    <div className="jp-flyte-nb-empty" data-status={status}>
      {text}
    </div>
  );
}

function Connected(props: { bridge: KernelBridge; actions: ISidebarActions }): JSX.Element {
  const { bridge, actions } = props;
  const model = bridge.model;
  return (
    <>
      {model.lastError && (
        <div className="jp-flyte-nb-error" role="alert">
          {model.lastError}
        </div>
      )}
      <section aria-label="Environments and tasks">
        <h3>Environments</h3>
        {model.environments.length === 0 ? (
          <p className="jp-flyte-nb-hint">
            No environment yet: define one with <code>flyte.TaskEnvironment(name=...)</code>.
          </p>
        ) : (
          <ul className="jp-flyte-nb-tree" role="tree">
            {model.environments.map(env => (
              <li key={env.name} role="treeitem" aria-expanded={true}>
                <TreeButton bridge={bridge} kind="environment" name={env.name} label={env.name} />
                <ul role="group">
                  {env.tasks.map(task => (
                    <li key={task.name} role="treeitem">
                      <TreeButton bridge={bridge} kind="task" name={task.name} label={task.function} />
                      {(task.overrides ?? []).length > 0 && <OverrideBadge overrides={task.overrides} />}
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ul>
        )}
      </section>
      {model.entity && <SettingsForm bridge={bridge} entity={model.entity} actions={actions} />}
      <Runs runs={model.runList} actions={actions} />
      <TimelineSection bridge={bridge} onOpenRun={actions.openRun} />
    </>
  );
}

function TreeButton(props: {
  bridge: KernelBridge;
  kind: 'environment' | 'task';
  name: string;
  label: string;
}): JSX.Element {
  const { bridge, kind, name, label } = props;
  const selected = bridge.model.selection?.kind === kind && bridge.model.selection.name === name;
  return (
    <button
      className={`jp-flyte-nb-node jp-flyte-nb-${kind}${selected ? ' jp-mod-selected' : ''}`}
      data-name={name}
      aria-selected={selected}
      onClick={() => {
        bridge.model.select({ kind, name });
        bridge.send({ type: 'select', kind, name });
      }}
    >
      <span className="jp-flyte-nb-kind">{kind === 'environment' ? 'env' : 'task'}</span> {label}
    </button>
  );
}

function SettingsForm(props: {
  bridge: KernelBridge;
  entity: IEntity;
  actions: ISidebarActions;
}): JSX.Element {
  const { bridge, entity, actions } = props;
  const overrides = overridesOf(bridge.model, entity);
  return (
    <section className="jp-flyte-nb-form" aria-label={`Settings of ${entity.kind} ${entity.name}`}>
      <h3>
        {entity.kind} <code>{entity.name}</code>
        {entity.reusable && <span className="jp-flyte-nb-badge">reusable</span>}
        {overrides.length > 0 && <OverrideBadge overrides={overrides} />}
      </h3>
      <div className="jp-flyte-nb-actions">
        <button
          className="jp-Button jp-mod-styled jp-mod-accept jp-flyte-nb-insert"
          onClick={actions.insertCode}
          title="A new cell below the active one with these settings as code (runs as is)"
        >
          Insert code
        </button>
      </div>
      <ul className="jp-flyte-nb-params" aria-label="Parameters">
        {entity.rows.map(row => (
          <ParameterRow key={row.parameter} bridge={bridge} entity={entity} row={row} />
        ))}
      </ul>
    </section>
  );
}

/** The session overrides the kernel reports for the selected task (none for an environment). */
function overridesOf(model: SidebarModel, entity: IEntity): string[] {
  if (entity.kind !== 'task') {
    return [];
  }
  for (const env of model.environments) {
    const task = env.tasks.find(t => t.name === entity.name);
    if (task) {
      return task.overrides ?? [];
    }
  }
  return [];
}

function OverrideBadge(props: { overrides: string[] }): JSX.Element {
  const text = props.overrides.join(', ');
  return (
    <span
      className="jp-flyte-nb-badge jp-flyte-nb-override-badge"
      title={`set in the sidebar this session: ${text} (Insert code writes them as code)`}
    >
      sidebar: {text}
    </span>
  );
}

/**
 * One parameter: its effective value and level chip on one line; the three levels behind a
 * disclosure, each an editor or the reason it cannot be set there, in text.
 */
function ParameterRow(props: { bridge: KernelBridge; entity: IEntity; row: IRow }): JSX.Element {
  const { bridge, entity, row } = props;
  const model = bridge.model;
  const parameter = model.parameter(row.parameter);
  const hasError = model.editableLevels.some(l => model.fieldErrors.has(fieldKey(row.parameter, l.name)));
  const [open, setOpen] = React.useState(false);
  const expanded = open || hasError;
  const panelId = `flyte-nb-levels-${row.parameter}`;
  return (
    <li className="jp-flyte-nb-param" data-parameter={row.parameter}>
      <button
        className="jp-flyte-nb-param-head"
        aria-expanded={expanded}
        aria-controls={panelId}
        title={parameter ? `${parameter.doc} (${parameter.type})` : ''}
        onClick={() => setOpen(!expanded)}
      >
        <span className="jp-flyte-nb-caret" aria-hidden="true">
          {expanded ? '▾' : '▸'}
        </span>
        <span className="jp-flyte-nb-param-name">{row.parameter}</span>
        <code
          className="jp-flyte-nb-effective"
          data-effective={row.parameter}
          title={row.effective.code ?? showValue(row.effective.value)}
        >
          {row.effective.code ?? showValue(row.effective.value)}
        </code>
        <span className="jp-flyte-nb-chip" data-level={row.effective.level}>
          {row.effective.level}
        </span>
      </button>
      {expanded && (
        <div id={panelId} className="jp-flyte-nb-levels" role="group" aria-label={`${row.parameter} by level`}>
          {parameter && <p className="jp-flyte-nb-doc">{parameter.doc}</p>}
          {model.editableLevels.map(level => {
            const cell = row.cells[level.name];
            return (
              <div
                key={level.name}
                className={`jp-flyte-nb-level-row${cell.disabled ? ' jp-mod-disabled' : ''}`}
                data-level={level.name}
              >
                <div className="jp-flyte-nb-level-title">
                  {level.title}
                  {cell.set && <span className="jp-flyte-nb-set"> set</span>}
                </div>
                {cell.disabled ? (
                  <p className="jp-flyte-nb-reason" data-parameter={row.parameter} data-level={level.name}>
                    Not here: {cell.disabled}
                  </p>
                ) : (
                  <LevelEditor
                    bridge={bridge}
                    entity={entity}
                    parameter={parameter}
                    name={row.parameter}
                    level={level.name}
                    levelTitle={level.title}
                    cell={cell}
                    form={entity.forms?.[row.parameter] ?? null}
                    choices={entity.choices[row.parameter]}
                    error={model.fieldErrors.get(fieldKey(row.parameter, level.name))}
                  />
                )}
              </div>
            );
          })}
        </div>
      )}
    </li>
  );
}

function Runs(props: { runs: IRun[]; actions: ISidebarActions }): JSX.Element {
  return (
    <section className="jp-flyte-nb-runs" aria-label="Runs">
      <h3>Runs</h3>
      {props.runs.length === 0 ? (
        <p className="jp-flyte-nb-hint">No run yet.</p>
      ) : (
        <ul>
          {props.runs.map(run => (
            <li key={run.id}>
              <button
                className="jp-flyte-nb-run"
                data-run={run.id}
                data-status={run.status}
                title={run.error ?? `open ${run.id}: logs and report`}
                onClick={() => props.actions.openRun(run.id)}
              >
                <span className="jp-flyte-nb-run-id">{run.id}</span>{' '}
                <span className="jp-flyte-nb-run-task">{run.task}</span>{' '}
                <span className={`jp-flyte-nb-status jp-flyte-nb-status-${run.status}`}>
                  {run.status.replace('_', ' ')}
                </span>
                {run.duration !== null && (
                  <span className="jp-flyte-nb-duration"> {run.duration.toFixed(1)}s</span>
                )}
                {run.used && <span className="jp-flyte-nb-used"> {run.used}</span>}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
