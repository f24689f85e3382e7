/**
 * The sidebar: environments and tasks as a tree, the selected one's three-level form, the runs.
 *
 * Everything it draws comes from the model (what the kernel sent): rows are the kernel's
 * parameter table, columns its levels, a cell is disabled with the kernel's reason, an editor
 * is a choice when the kernel gives choices and otherwise Python text described by the
 * parameter's JSON schema. Edits go to the kernel, which validates them; errors come back
 * to the field.
 */
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { KernelBridge } from './bridge';
import { describeSchema, fieldKey, LOAD_LINE, SidebarModel, showValue } from './model';
import { ICell, IEntity, IParameter, IRun } from './protocol';

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
  const model = bridge.model;
  const levels = model.editableLevels;
  return (
    <section className="jp-flyte-nb-form" aria-label={`Settings of ${entity.kind} ${entity.name}`}>
      <h3>
        {entity.kind} <code>{entity.name}</code>
        {entity.reusable && <span className="jp-flyte-nb-badge">reusable</span>}
      </h3>
      <table>
        <thead>
          <tr>
            <th scope="col">parameter</th>
            {levels.map(level => (
              <th scope="col" key={level.name}>
                {level.title}
              </th>
            ))}
            <th scope="col">effective</th>
          </tr>
        </thead>
        <tbody>
          {entity.rows.map(row => {
            const parameter = model.parameter(row.parameter);
            return (
              <tr key={row.parameter} data-parameter={row.parameter}>
                <th scope="row" title={parameter ? `${parameter.doc} (${parameter.type})` : ''}>
                  {row.parameter}
                </th>
                {levels.map(level => (
                  <td key={level.name}>
                    <Editor
                      bridge={bridge}
                      entity={entity}
                      parameter={parameter}
                      name={row.parameter}
                      level={level.name}
                      levelTitle={level.title}
                      cell={row.cells[level.name]}
                      choices={entity.choices[row.parameter]}
                      error={model.fieldErrors.get(fieldKey(row.parameter, level.name))}
                    />
                  </td>
                ))}
                <td className="jp-flyte-nb-effective" data-effective={row.parameter}>
                  <code>{row.effective.code ?? showValue(row.effective.value)}</code>{' '}
                  <span className="jp-flyte-nb-level" data-level={row.effective.level}>
                    [{row.effective.level}]
                  </span>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <div className="jp-flyte-nb-actions">
        <button className="jp-Button jp-mod-styled jp-mod-accept" onClick={actions.insertCode}>
          Insert code
        </button>
      </div>
    </section>
  );
}

function Editor(props: {
  bridge: KernelBridge;
  entity: IEntity;
  parameter: IParameter | undefined;
  name: string;
  level: string;
  levelTitle: string;
  cell: ICell;
  choices: string[] | undefined;
  error: string | undefined;
}): JSX.Element {
  const { bridge, entity, parameter, name, level, levelTitle, cell, choices, error } = props;
  const [text, setText] = React.useState(cell.text);
  React.useEffect(() => setText(cell.text), [cell.text]);
  const commit = (value: string): void => {
    if (value !== cell.text || error) {
      bridge.send({ type: 'edit', kind: entity.kind, name: entity.name, level, parameter: name, text: value });
    }
  };
  const label = `${name} at the ${levelTitle} level`;
  const errorId = `flyte-nb-error-${name}-${level}`;
  const reasonId = `flyte-nb-reason-${name}-${level}`;
  const common = {
    className: `jp-mod-styled jp-flyte-nb-editor${error ? ' jp-mod-error' : ''}`,
    'data-parameter': name,
    'data-level': level,
    disabled: cell.disabled !== null,
    title: cell.disabled ?? (parameter ? describeSchema(parameter.schema) : ''),
    'aria-label': label,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': error ? errorId : cell.disabled ? reasonId : undefined
  };
  const editor = choices ? (
    <select
      {...common}
      value={text}
      onChange={event => {
        setText(event.target.value);
        commit(event.target.value);
      }}
    >
      {choices.map(choice => (
        <option key={choice} value={choice}>
          {choice}
        </option>
      ))}
    </select>
  ) : (
    <input
      {...common}
      type="text"
      value={text}
      placeholder={cell.disabled ? '—' : 'unset'}
      onChange={event => setText(event.target.value)}
      onBlur={() => commit(text)}
      onKeyDown={event => {
        if (event.key === 'Enter') {
          commit(text);
        } else if (event.key === 'Escape') {
          setText(cell.text);
        }
      }}
    />
  );
  return (
    <>
      {editor}
      {cell.disabled && (
        <span id={reasonId} className="jp-flyte-nb-reason">
          {cell.disabled}
        </span>
      )}
      {error && (
        <div id={errorId} className="jp-flyte-nb-field-error" role="alert">
          {error}
        </div>
      )}
    </>
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
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
