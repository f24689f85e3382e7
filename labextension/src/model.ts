/**
 * The sidebar's state: what the kernel last said, folded from its messages.
 *
 * The views read it and redraw on `changed`; nothing here talks to a kernel (the bridge feeds
 * `handle` and sends requests), so the whole state machine is testable with plain messages.
 */
import { ISignal, Signal } from '@lumino/signaling';

import {
  EntityKind,
  IEntity,
  IEnvironmentRef,
  ILevel,
  IParameter,
  IRun,
  KernelMessage,
  VERSION
} from './protocol';
import type { ITimeline } from './timeline';

/**
 * no-kernel: no notebook (or no kernel) is active; connecting: a comm was asked for;
 * not-loaded: the kernel has not run `%load_ext flyte_nb`; connected: the kernel said hello.
 */
export type Status = 'no-kernel' | 'connecting' | 'not-loaded' | 'connected';

export interface ISelection {
  kind: EntityKind;
  name: string;
}

/** The line that loads flyte_nb in a kernel, shown in the empty state. */
export const LOAD_LINE = '%load_ext flyte_nb';

export class SidebarModel {
  status: Status = 'no-kernel';
  /** Where the kernel is: the active notebook's path. */
  source = '';
  version = '';
  levels: ILevel[] = [];
  parameters: IParameter[] = [];
  environments: IEnvironmentRef[] = [];
  selection: ISelection | null = null;
  entity: IEntity | null = null;
  /** Field errors of the selected entity, by fieldKey(parameter, level). */
  fieldErrors = new Map<string, string>();
  runs = new Map<string, IRun>();
  logs = new Map<string, string>();
  reports = new Map<string, Record<string, string>>();
  /** The kernel's last timeline of the runs (asked for by the timeline section). */
  timeline: ITimeline | null = null;
  /** The last error the kernel reported for a request that is not a field edit. */
  lastError = '';
  /** Most runs kept in the list (setting maxRuns). */
  maxRuns = 50;

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The kernel asked for a new cell below the active one (the widget panel's Insert code). */
  get insertRequested(): ISignal<this, string> {
    return this._insertRequested;
  }

  /** A run reached a final status (succeeded, failed, ...). */
  get runFinished(): ISignal<this, IRun> {
    return this._runFinished;
  }

  parameter(name: string): IParameter | undefined {
    return this.parameters.find(p => p.name === name);
  }

  levelTitle(name: string): string {
    return this.levels.find(l => l.name === name)?.title ?? name;
  }

  /** The levels a user sets (the kernel's levels less 'default'), most general first. */
  get editableLevels(): ILevel[] {
    return this.levels.filter(l => l.name !== 'default');
  }

  /** Runs, newest first, at most maxRuns. */
  get runList(): IRun[] {
    return [...this.runs.values()].sort((a, b) => b.created - a.created).slice(0, this.maxRuns);
  }

  setStatus(status: Status, source?: string): void {
    this.status = status;
    if (source !== undefined) {
      this.source = source;
    }
    if (status !== 'connected') {
      this.environments = [];
      this.entity = null;
      this.fieldErrors.clear();
      this.runs.clear();
      this.logs.clear();
      this.reports.clear();
      this.timeline = null;
      this.lastError = '';
    }
    this._changed.emit();
  }

  select(selection: ISelection | null): void {
    this.selection = selection;
    this.entity = null;
    this.fieldErrors.clear();
    this._changed.emit();
  }

  /** Fold one kernel message into the state. */
  handle(message: KernelMessage): void {
    if (message.version !== VERSION) {
      this.lastError =
        `the kernel's flyte_nb speaks protocol ${message.version}, ` +
        `this sidebar ${VERSION}: upgrade the older one`;
      this._changed.emit();
      return;
    }
    switch (message.type) {
      case 'announce':
        return;
      case 'timeline':
        this.timeline = message;
        break;
      case 'hello':
        this.version = message.flyte_nb;
        this.levels = message.levels;
        this.parameters = message.parameters;
        this.status = 'connected';
        break;
      case 'registry':
        this.environments = message.environments;
        break;
      case 'entity':
        if (message.kind === null) {
          this.selection = null;
          this.entity = null;
        } else if (
          this.selection?.kind === message.kind &&
          this.selection.name === message.name
        ) {
          this.entity = message;
        }
        break;
      case 'edit_result': {
        const key = fieldKey(message.parameter, message.level);
        if (message.ok || !message.error) {
          this.fieldErrors.delete(key);
        } else {
          this.fieldErrors.set(key, message.error.message);
        }
        break;
      }
      case 'runs':
        this.runs = new Map(message.runs.map(run => [run.id, run]));
        break;
      case 'run':
        this._updateRun(message.run);
        break;
      case 'log':
        this.logs.set(message.run, (this.logs.get(message.run) ?? '') + message.lines.join(''));
        break;
      case 'report':
        this.reports.set(message.run, message.tabs);
        break;
      case 'run_detail':
        this._updateRun(message.run);
        this.logs.set(message.run.id, message.logs);
        this.reports.set(message.run.id, message.report);
        break;
      case 'insert_cell':
        this._insertRequested.emit(message.code);
        return;
      case 'error':
        this.lastError = message.message;
        break;
    }
    this._changed.emit();
  }

  private _updateRun(run: IRun): void {
    const before = this.runs.get(run.id);
    this.runs.set(run.id, run);
    if (isFinal(run.status) && (!before || !isFinal(before.status))) {
      this._runFinished.emit(run);
    }
  }

  private _changed = new Signal<this, void>(this);
  private _insertRequested = new Signal<this, string>(this);
  private _runFinished = new Signal<this, IRun>(this);
}

export function fieldKey(parameter: string, level: string): string {
  return `${parameter}/${level}`;
}

const FINAL = new Set(['succeeded', 'failed', 'timed_out', 'oom', 'cancelled', 'cached']);

export function isFinal(status: string): boolean {
  return FINAL.has(status);
}

/** A short text of a JSON value for the effective column. */
export function showValue(value: unknown): string {
  if (value === null || value === undefined) {
    return 'None';
  }
  if (typeof value === 'string') {
    return value;
  }
  return JSON.stringify(value);
}

/** What the schema says a value is, for an editor's tooltip ("integer >= 0 | RetryStrategy"). */
export function describeSchema(schema: Record<string, any>): string {
  const one = (s: Record<string, any>): string => {
    if (s.$ref) {
      return String(s.$ref).split('/').pop() ?? 'object';
    }
    if (s.anyOf) {
      return (s.anyOf as Record<string, any>[]).map(one).join(' | ');
    }
    if (s.enum) {
      return (s.enum as unknown[]).map(v => JSON.stringify(v)).join(' | ');
    }
    if (s.const !== undefined) {
      return JSON.stringify(s.const);
    }
    let text = String(s.type ?? 'any');
    if (s.type === 'array' && s.items) {
      text = `list[${one(s.items)}]`;
    }
    if (s.minimum !== undefined) {
      text += ` >= ${s.minimum}`;
    }
    if (s.pattern) {
      text += ` matching ${s.pattern}`;
    }
    return text;
  };
  return one(schema);
}

/** "512Mi" -> ["512", "Mi"]; a value without a unit keeps the unit empty. */
export function splitQuantity(value: unknown): [string, string] {
  const match = /^([0-9]*\.?[0-9]*)([A-Za-z]*)$/.exec(String(value ?? ''));
  return match ? [match[1], match[2]] : [String(value ?? ''), ''];
}

/**
 * Whether a form is long when empty (an object with fields: resources, reusable's ReusePolicy,
 * links): the sidebar then shows an unset level as "not set – set…" instead of an empty form.
 * A form whose first choice is a short value (retries' count, cache's behavior) stays as it is.
 */
export function isStructured(schema: Record<string, any>): boolean {
  const first = Array.isArray(schema.anyOf) && schema.anyOf.length > 0 ? schema.anyOf[0] : schema;
  return first.type === 'object';
}

/** A gpu setting as the picker shows it: "A100:2" -> A100 x 2, 2 -> any GPU x 2 ('*'), unset -> nulls. */
export function splitGpu(value: unknown): { model: string | null; count: number | null } {
  if (typeof value === 'number') {
    return { model: '*', count: value };
  }
  if (typeof value !== 'string' || value === '') {
    return { model: null, count: null };
  }
  const at = value.lastIndexOf(':');
  if (at < 0) {
    return { model: value, count: null };
  }
  const count = Number(value.slice(at + 1));
  return { model: value.slice(0, at), count: Number.isInteger(count) ? count : null };
}

/**
 * The gpu setting a pick means: a model and one of the counts the kernel's table allows for it
 * ("A100:2"; a count it does not allow becomes the model's smallest), or, for any GPU, a count.
 */
export function joinGpu(model: string | null, count: number | null, counts: number[] | null): string | number {
  if (model === null) {
    return count !== null && Number.isInteger(count) && count >= 1 ? count : 1;
  }
  const allowed = counts && counts.length > 0 ? counts : [1];
  return `${model}:${count !== null && allowed.includes(count) ? count : allowed[0]}`;
}
