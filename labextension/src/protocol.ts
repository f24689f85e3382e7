/**
 * The messages of the "flyte_nb" comm, as the kernel (flyte_nb/bridge.py) defines them.
 *
 * Only shapes live here: which parameter may be set at which level, what a value means and
 * whether an edit is valid are decided by the kernel and arrive in these messages.
 */
import type { JSONObject } from '@lumino/coreutils';

import type { ITimeline } from './timeline';

/** The comm target name, registered by `%load_ext flyte_nb` in the kernel. */
export const TARGET = 'flyte_nb';
/** The protocol version this extension speaks. */
export const VERSION = 1;

/** A row of the kernel's parameter table, with the pydantic JSON schema of its value. */
export interface IParameter {
  name: string;
  rules: Record<string, string>;
  type: string;
  default: string;
  doc: string;
  details: string;
  schema: JSONObject;
}

export interface ILevel {
  name: string;
  title: string;
}

export interface ITaskRef {
  name: string;
  function: string;
  /** Parameters set in the sidebar's override column this session (the task's badge). */
  overrides: string[];
}

export interface IEnvironmentRef {
  name: string;
  tasks: ITaskRef[];
}

/** One level's cell of a parameter row: its editor text and why it cannot be edited. */
export interface ICell {
  set: boolean;
  value: unknown;
  /** The value as its typed form holds it (rjsf formData); null when unset. */
  form: unknown;
  text: string;
  disabled: string | null;
}

/** A parameter's typed form: a JSON schema and rjsf uiSchema made from the table's pydantic schema. */
export interface IForm {
  schema: JSONObject;
  ui: JSONObject;
}

export interface IRow {
  parameter: string;
  cells: Record<string, ICell>;
  effective: { value: unknown; code?: string; level: string };
}

export type EntityKind = 'environment' | 'task';

export interface IEntity {
  kind: EntityKind;
  name: string;
  reusable: boolean;
  rows: IRow[];
  code: string;
  choices: Record<string, string[]>;
  /** Per parameter its form, or null when it is written as code only (images, pod templates). */
  forms: Record<string, IForm | null>;
}

export interface IFieldError {
  message: string;
  parameter: string | null;
  level: string | null;
  value: string | null;
  allowed_levels: string[];
}

export interface IRun {
  id: string;
  task: string;
  runner: string;
  parent: string | null;
  status: string;
  created: number;
  ended: number | null;
  duration: number | null;
  attempts: { number: number; status: string; container: string | null; error: string | null }[];
  error: string | null;
  output: string | null;
  report: string | null;
  report_tabs: string[];
  log_lines: number;
  /** What the last measured attempt used: "peak 310 MiB of 2 GiB, 0.9 CPU-s, 1.2s", '' when unmeasured. */
  used?: string;
}

interface IEnvelope {
  version: number;
}

/** What the kernel sends. */
export type KernelMessage = IEnvelope &
  (
    | { type: 'announce' }
    | ({ type: 'timeline'; reply_to: number | null } & ITimeline)
    | { type: 'hello'; flyte_nb: string; levels: ILevel[]; parameters: IParameter[] }
    | { type: 'registry'; environments: IEnvironmentRef[] }
    | ({ type: 'entity' } & (IEntity | { kind: null; name: null }))
    | {
        type: 'edit_result';
        reply_to: number | null;
        ok: boolean;
        parameter: string;
        level: string;
        error: IFieldError | null;
      }
    | { type: 'runs'; runs: IRun[] }
    | { type: 'run'; run: IRun }
    | { type: 'log'; run: string; lines: string[] }
    | { type: 'report'; run: string; tabs: Record<string, string>; path: string | null }
    | {
        type: 'run_detail';
        reply_to: number | null;
        run: IRun;
        logs: string;
        report: Record<string, string>;
      }
    | { type: 'insert_cell'; code: string }
    | { type: 'error'; reply_to: number | null; request: string | null; message: string }
  );

/** What the sidebar sends. */
export type Request =
  | { type: 'hello' }
  | { type: 'get_timeline'; run: string | null }
  | { type: 'select'; kind: EntityKind; name: string }
  | {
      type: 'edit';
      kind: EntityKind;
      name: string;
      level: string;
      parameter: string;
    } & ({ text: string } | { value: unknown })
  | { type: 'get_run'; run: string };
