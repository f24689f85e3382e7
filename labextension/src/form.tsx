/**
 * One level's editor of one parameter: JupyterLab's own FormComponent (the rjsf the Settings
 * Editor uses) over the form the kernel made from the table's pydantic schema, or, with
 * "as code", the Python expression box. The only widget written here is the quantity input
 * (a number and its unit: rjsf has none); everything else is rjsf's for the schema's type.
 * Edits go to the kernel, which validates them with the same model as code.
 */
import { FormComponent } from '@jupyterlab/ui-components';
import type { RegistryWidgetsType, WidgetProps } from '@rjsf/utils';
import validator from '@rjsf/validator-ajv8';
import * as React from 'react';

import { KernelBridge } from './bridge';
import { describeSchema } from './model';
import { ICell, IEntity, IForm, IParameter } from './protocol';

/** How long a form waits after the last change before it sends the edit (ms). */
export const COMMIT_DELAY = 600;

const UNITS = ['Mi', 'Gi', 'Ti', 'Ki', 'M', 'G', ''];

/** "512Mi" -> ["512", "Mi"]; a value without a unit keeps the unit empty. */
export function splitQuantity(value: unknown): [string, string] {
  const match = /^([0-9]*\.?[0-9]*)([A-Za-z]*)$/.exec(String(value ?? ''));
  return match ? [match[1], match[2]] : [String(value ?? ''), ''];
}

/** A quantity with its unit (memory, disk, shm): a number input and a unit select. */
function QuantityWidget(props: WidgetProps): JSX.Element {
  const [amount, unit] = splitQuantity(props.value);
  const [shownUnit, setUnit] = React.useState(unit || 'Mi');
  const change = (nextAmount: string, nextUnit: string): void => {
    setUnit(nextUnit);
    props.onChange(nextAmount === '' ? undefined : `${nextAmount}${nextUnit}`);
  };
  const units = UNITS.includes(unit) ? UNITS : [unit, ...UNITS];
  return (
    <span className="jp-flyte-nb-quantity">
      <input
        id={props.id}
        className="jp-mod-styled"
        type="number"
        min={0}
        step="any"
        value={amount}
        disabled={props.disabled || props.readonly}
        aria-label={`${props.label} amount`}
        onChange={event => change(event.target.value, unit || shownUnit)}
        onBlur={() => props.onBlur(props.id, props.value)}
        onFocus={() => props.onFocus(props.id, props.value)}
      />
      <select
        className="jp-mod-styled"
        value={unit || shownUnit}
        disabled={props.disabled || props.readonly}
        aria-label={`${props.label} unit`}
        onChange={event => change(amount, event.target.value)}
      >
        {units.map(u => (
          <option key={u} value={u}>
            {u === '' ? 'bytes' : u}
          </option>
        ))}
      </select>
    </span>
  );
}

const WIDGETS: RegistryWidgetsType = { quantity: QuantityWidget };

export interface ILevelEditorProps {
  bridge: KernelBridge;
  entity: IEntity;
  parameter: IParameter | undefined;
  name: string;
  level: string;
  levelTitle: string;
  cell: ICell;
  form: IForm | null;
  choices: string[] | undefined;
  error: string | undefined;
}

/** The editor of one level: a typed form (default) or the expression box ("as code"). */
export function LevelEditor(props: ILevelEditorProps): JSX.Element {
  const { bridge, entity, name, level, cell, form, error } = props;
  const [asCode, setAsCode] = React.useState(form === null);
  const errorId = `flyte-nb-error-${name}-${level}`;
  const send = (edit: { text: string } | { value: unknown }): void => {
    bridge.send({ type: 'edit', kind: entity.kind, name: entity.name, level, parameter: name, ...edit });
  };
  return (
    <div
      className="jp-flyte-nb-level-editor"
      data-parameter={name}
      data-level={level}
      data-mode={asCode ? 'code' : 'form'}
    >
      {asCode || form === null ? (
        <CodeBox {...props} send={send} errorId={errorId} />
      ) : (
        <TypedForm {...props} form={form} send={send} errorId={errorId} />
      )}
      <div className="jp-flyte-nb-level-tools">
        {form !== null && (
          <label className="jp-flyte-nb-as-code">
            <input
              type="checkbox"
              checked={asCode}
              onChange={event => setAsCode(event.target.checked)}
            />{' '}
            as code
          </label>
        )}
        {cell.set && (
          <button
            className="jp-Button jp-mod-styled jp-mod-reject jp-flyte-nb-unset"
            aria-label={`unset ${name} at the ${props.levelTitle} level`}
            onClick={() => send({ value: null })}
          >
            unset
          </button>
        )}
      </div>
      {error && (
        <div id={errorId} className="jp-flyte-nb-field-error" role="alert">
          {error}
        </div>
      )}
    </div>
  );
}

/** Form data that sets nothing: unset, or an object with no field given. */
function isEmpty(data: unknown): boolean {
  if (data === undefined || data === null) {
    return true;
  }
  return typeof data === 'object' && !Array.isArray(data) && Object.values(data as object).every(v => v === undefined);
}

function TypedForm(
  props: ILevelEditorProps & { form: IForm; send: (edit: { value: unknown }) => void; errorId: string }
): JSX.Element {
  const { cell, form, send, name } = props;
  const given = JSON.stringify(cell.form ?? null);
  const [data, setData] = React.useState<unknown>(cell.form ?? undefined);
  const timer = React.useRef<number | null>(null);
  // rjsf also reports changes of its own (defaults filled in when it mounts): only what the user
  // typed or picked is an edit.
  const touched = React.useRef(false);
  const touch = (): void => {
    touched.current = true;
  };
  React.useEffect(() => setData(cell.form ?? undefined), [given]);
  React.useEffect(() => () => {
    if (timer.current !== null) {
      window.clearTimeout(timer.current);
    }
  }, []);
  const change = (changed: unknown): void => {
    setData(changed);
    const next = isEmpty(changed) ? null : changed;
    if (timer.current !== null) {
      window.clearTimeout(timer.current);
    }
    if (!touched.current || (JSON.stringify(next) === given && !props.error)) {
      return;
    }
    timer.current = window.setTimeout(() => {
      timer.current = null;
      send({ value: next });
    }, COMMIT_DELAY);
  };
  return (
    <div
      className="jp-flyte-nb-typed"
      aria-describedby={props.error ? props.errorId : undefined}
      onKeyDownCapture={touch}
      onMouseDownCapture={touch}
      onChangeCapture={touch}
    >
      <FormComponent
        schema={form.schema as any}
        uiSchema={{ ...(form.ui as any), 'ui:title': ' ' }}
        formData={data as any}
        validator={validator as any}
        widgets={WIDGETS as any}
        idPrefix={`flyte-nb-${name}-${props.level}`}
        compact={true}
        showModifiedFromDefault={false}
        onChange={event => change(event.formData)}
      />
    </div>
  );
}

function CodeBox(
  props: ILevelEditorProps & { send: (edit: { text: string }) => void; errorId: string }
): JSX.Element {
  const { cell, choices, parameter, name, level, send, error } = props;
  const [text, setText] = React.useState(cell.text);
  React.useEffect(() => setText(cell.text), [cell.text]);
  const commit = (value: string): void => {
    if (value !== cell.text || error) {
      send({ text: value });
    }
  };
  const common = {
    className: `jp-mod-styled jp-flyte-nb-editor${error ? ' jp-mod-error' : ''}`,
    'data-parameter': name,
    'data-level': level,
    title: parameter ? describeSchema(parameter.schema) : '',
    'aria-label': `${name} at the ${props.levelTitle} level, as Python`,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': error ? props.errorId : undefined
  };
  if (choices) {
    return (
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
    );
  }
  return (
    <input
      {...common}
      type="text"
      value={text}
      placeholder="unset: a Python expression"
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
}
