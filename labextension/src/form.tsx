/**
 * One level's editor of one parameter: JupyterLab's own FormComponent (the rjsf the Settings
 * Editor uses) over the form the kernel made from the table's pydantic schema, or, with
 * "as code", the Python expression box. Written here only what rjsf has no widget for: the
 * quantity input (a number and its unit), a request with an optional limit (cpu, memory) and
 * the GPU picker (a model and a count from the kernel's device table); everything else is
 * rjsf's for the schema's type. Edits go to the kernel, which validates them with the same
 * model as code.
 */
import { FormComponent } from '@jupyterlab/ui-components';
import type { FieldProps, RegistryFieldsType, RegistryWidgetsType, WidgetProps } from '@rjsf/utils';
import validator from '@rjsf/validator-ajv8';
import * as React from 'react';

import { KernelBridge } from './bridge';
import { describeSchema, isStructured, joinGpu, splitGpu, splitQuantity } from './model';
import { ICell, IEntity, IForm, IParameter } from './protocol';

/** How long a form waits after the last change before it sends the edit (ms). */
export const COMMIT_DELAY = 600;

const UNITS = ['Mi', 'Gi', 'Ti', 'Ki', 'M', 'G', ''];

/** A quantity with its unit: a number input and a unit select ("512Mi"; undefined when empty). */
function QuantityInput(props: {
  id?: string;
  value: unknown;
  label: string;
  disabled: boolean;
  onChange: (value: string | undefined) => void;
  onBlur?: () => void;
  onFocus?: () => void;
}): JSX.Element {
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
        disabled={props.disabled}
        aria-label={`${props.label} amount`}
        onChange={event => change(event.target.value, unit || shownUnit)}
        onBlur={props.onBlur}
        onFocus={props.onFocus}
      />
      <select
        className="jp-mod-styled"
        value={unit || shownUnit}
        disabled={props.disabled}
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

/** rjsf's widget for one quantity (disk, shm). */
function QuantityWidget(props: WidgetProps): JSX.Element {
  return (
    <QuantityInput
      id={props.id}
      value={props.value}
      label={props.label}
      disabled={Boolean(props.disabled || props.readonly)}
      onChange={props.onChange}
      onBlur={() => props.onBlur(props.id, props.value)}
      onFocus={() => props.onFocus(props.id, props.value)}
    />
  );
}

/** A number of cores ("" when empty). */
function CoresInput(props: {
  id?: string;
  value: unknown;
  label: string;
  disabled: boolean;
  onChange: (value: number | string | undefined) => void;
}): JSX.Element {
  return (
    <input
      id={props.id}
      className="jp-mod-styled"
      type="number"
      min={0}
      step={0.25}
      value={props.value === undefined || props.value === null ? '' : String(props.value)}
      disabled={props.disabled}
      aria-label={props.label}
      onChange={event => {
        const text = event.target.value;
        props.onChange(text === '' ? undefined : Number.isNaN(Number(text)) ? text : Number(text));
      }}
    />
  );
}

/**
 * A custom field's title and description, as JupyterLab's compact field template draws them
 * (rjsf leaves the label to a field given by ui:field).
 */
function FieldTitle(props: { schema: Record<string, any>; htmlFor: string }): JSX.Element {
  return (
    <div className="jp-FormGroup-compactTitle">
      <label className="jp-FormGroup-fieldLabel jp-FormGroup-contentItem" htmlFor={props.htmlFor}>
        {props.schema.title}
      </label>
      {props.schema.description && <div className="jp-FormGroup-description">{props.schema.description}</div>}
    </div>
  );
}

/**
 * cpu and memory: a request and an optional limit. One value when the limit is empty, the
 * (request, limit) pair the table takes when it is given (an empty request then takes the limit).
 */
function RequestLimitField(props: FieldProps): JSX.Element {
  const unit = (props.uiSchema?.['ui:options'] as { unit?: string } | undefined)?.unit ?? 'bytes';
  const value = props.formData;
  const [request, limit] = Array.isArray(value) ? value : [value, undefined];
  const disabled = Boolean(props.disabled || props.readonly);
  const emit = (nextRequest: unknown, nextLimit: unknown): void => {
    if (nextLimit === undefined || nextLimit === '') {
      props.onChange(nextRequest === '' ? undefined : nextRequest);
    } else {
      props.onChange([nextRequest === undefined || nextRequest === '' ? nextLimit : nextRequest, nextLimit]);
    }
  };
  const part = (which: 'request' | 'limit', shown: unknown): JSX.Element => {
    const label = `${props.name} ${which}`;
    const id = which === 'request' ? props.idSchema.$id : `${props.idSchema.$id}__limit`;
    const onChange = (next: unknown): void => (which === 'request' ? emit(next, limit) : emit(request, next));
    return (
      <span className="jp-flyte-nb-pair-part" data-part={which}>
        <span className="jp-flyte-nb-pair-label">{which}</span>
        {unit === 'cores' ? (
          <CoresInput id={id} value={shown} label={label} disabled={disabled} onChange={onChange} />
        ) : (
          <QuantityInput id={id} value={shown} label={label} disabled={disabled} onChange={onChange} />
        )}
      </span>
    );
  };
  return (
    <div className="jp-flyte-nb-field" data-field={props.name}>
      <FieldTitle schema={props.schema} htmlFor={props.idSchema.$id} />
      <div className="jp-flyte-nb-pair" data-field={props.name}>
        {part('request', request)}
        {part('limit', limit)}
      </div>
    </div>
  );
}

const ANY = '*';

/**
 * The GPU picker: a model from the kernel's device table (schema x-devices: model -> the counts
 * `gpu="MODEL:COUNT"` accepts) and a count; "any GPU" is a plain count. A Device value (a MIG
 * partition, a TPU slice) is shown as it is: it is edited as code.
 */
function GpuField(props: FieldProps): JSX.Element {
  const devices = ((props.schema as Record<string, unknown>)['x-devices'] ?? {}) as Record<string, number[]>;
  const value = props.formData;
  const disabled = Boolean(props.disabled || props.readonly);
  if (value !== null && typeof value === 'object') {
    const fields = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
    return (
      <div className="jp-flyte-nb-field" data-field="gpu">
        <FieldTitle schema={props.schema} htmlFor={props.idSchema.$id} />
        <p id={props.idSchema.$id} className="jp-flyte-nb-hint">
          Device({fields.join(', ')}): edit it as code
        </p>
      </div>
    );
  }
  const { model, count } = splitGpu(value);
  const counts = model && model !== ANY ? devices[model] ?? [1] : [];
  const pickModel = (next: string): void => {
    if (next === '') {
      props.onChange(undefined);
    } else {
      props.onChange(joinGpu(next === ANY ? null : next, count, next === ANY ? null : devices[next] ?? [1]));
    }
  };
  const id = props.idSchema.$id;
  return (
    <div className="jp-flyte-nb-field" data-field="gpu">
      <FieldTitle schema={props.schema} htmlFor={id} />
      <span className="jp-flyte-nb-gpu">
        <select
          id={id}
          className="jp-mod-styled"
          value={model ?? ''}
          disabled={disabled}
          aria-label="gpu model"
          onChange={event => pickModel(event.target.value)}
        >
          <option value="">none</option>
          <option value={ANY}>any GPU</option>
          {Object.keys(devices).map(name => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
        {model === ANY && (
          <input
            id={`${id}__count`}
            className="jp-mod-styled"
            type="number"
            min={1}
            step={1}
            value={count ?? 1}
            disabled={disabled}
            aria-label="gpu count"
            onChange={event => props.onChange(joinGpu(null, Number(event.target.value), null))}
          />
        )}
        {model && model !== ANY && (
          <select
            id={`${id}__count`}
            className="jp-mod-styled"
            value={String(count ?? counts[0])}
            disabled={disabled}
            aria-label="gpu count"
            onChange={event => props.onChange(joinGpu(model, Number(event.target.value), counts))}
          >
            {counts.map(c => (
              <option key={c} value={String(c)}>
                × {c}
              </option>
            ))}
          </select>
        )}
      </span>
    </div>
  );
}

const WIDGETS: RegistryWidgetsType = { quantity: QuantityWidget };
const FIELDS: RegistryFieldsType = { requestLimit: RequestLimitField, gpu: GpuField };

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

/**
 * The editor of one level: a typed form (default) or the expression box ("as code"). A
 * structured parameter (an object form: resources, reusable, links) not set at this level is
 * one compact line, "not set – set…", until asked for; its form then opens with focus in it.
 */
export function LevelEditor(props: ILevelEditorProps): JSX.Element {
  const { bridge, entity, name, level, cell, form, error } = props;
  const [asCode, setAsCode] = React.useState(form === null);
  const [opened, setOpened] = React.useState(false);
  const formRef = React.useRef<HTMLDivElement>(null);
  const focusForm = React.useRef(false);
  const errorId = `flyte-nb-error-${name}-${level}`;
  const send = (edit: { text: string } | { value: unknown }): void => {
    bridge.send({ type: 'edit', kind: entity.kind, name: entity.name, level, parameter: name, ...edit });
  };
  React.useEffect(() => {
    if (!cell.set) {
      setOpened(false);
    }
  }, [cell.set]);
  React.useEffect(() => {
    if (focusForm.current && formRef.current) {
      focusForm.current = false;
      formRef.current.querySelector<HTMLElement>('input, select, textarea, button')?.focus();
    }
  });
  const compact = !asCode && form !== null && !cell.set && !opened && !error && isStructured(form.schema);
  let editor: JSX.Element;
  if (compact) {
    editor = (
      <div className="jp-flyte-nb-not-set">
        <span className="jp-flyte-nb-not-set-text">not set</span>
        <button
          className="jp-Button jp-mod-styled jp-mod-reject jp-flyte-nb-set-open"
          aria-label={`set ${name} at the ${props.levelTitle} level`}
          onClick={() => {
            focusForm.current = true;
            setOpened(true);
          }}
        >
          set…
        </button>
      </div>
    );
  } else if (asCode || form === null) {
    editor = <CodeBox {...props} send={send} errorId={errorId} />;
  } else {
    editor = (
      <div ref={formRef}>
        <TypedForm {...props} form={form} send={send} errorId={errorId} />
      </div>
    );
  }
  return (
    <div
      className="jp-flyte-nb-level-editor"
      data-parameter={name}
      data-level={level}
      data-mode={compact ? 'not-set' : asCode ? 'code' : 'form'}
    >
      {editor}
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
        fields={FIELDS as any}
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
