/**
 * The sidebar model folding real kernel messages: the messages come from flyte_nb/bridge.py
 * itself (run with the project's Python), so a change of the kernel's side breaks these tests.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';

import { beforeAll, describe, expect, it } from 'vitest';

import {
  describeSchema,
  fieldKey,
  isFinal,
  isStructured,
  joinGpu,
  LOAD_LINE,
  showValue,
  SidebarModel,
  splitGpu,
  splitQuantity
} from '../model';
import { IRun, KernelMessage, VERSION } from '../protocol';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const PYTHON = process.env.FLYTE_NB_PYTHON ?? path.join(ROOT, '.venv', 'bin', 'python');

/** hello, registry and two entities of a small registry, and an edit's result, from the kernel code. */
const SCRIPT = `
import json
import flyte_nb as flyte
from flyte_nb import bridge
env = flyte.TaskEnvironment(name="spec_env", resources=flyte.Resources(cpu=1))
@env.task(retries=2)
async def work(x: int) -> int:
    return x
messages = [bridge.hello(), bridge.tree(), bridge.entity("task", "spec_env.work")]
messages.append(bridge.edit({"id": 1, "kind": "task", "name": "spec_env.work", "level": "decorator",
                             "parameter": "retries", "text": "-1"}, {}))
messages.append(bridge.edit({"id": 2, "kind": "task", "name": "spec_env.work", "level": "override",
                             "parameter": "retries", "text": "4"}, {}))
messages.append(bridge.entity("task", "spec_env.work"))
print(json.dumps(messages))
`;

let kernel: KernelMessage[];

beforeAll(() => {
  kernel = JSON.parse(execFileSync(PYTHON, ['-c', SCRIPT], { cwd: ROOT, encoding: 'utf-8' }));
});

function run(id: string, status: string, created = 1): IRun {
  return {
    id,
    task: 'spec_env.work',
    runner: 'docker',
    parent: null,
    status,
    created,
    ended: null,
    duration: null,
    attempts: [],
    error: null,
    output: null,
    report: null,
    report_tabs: [],
    log_lines: 0
  };
}

describe('SidebarModel', () => {
  it('connects on hello and keeps the table and levels the kernel sent', () => {
    const model = new SidebarModel();
    let changes = 0;
    model.changed.connect(() => changes++);
    model.setStatus('connecting', 'a.ipynb');
    model.handle(kernel[0]);
    expect(model.status).toBe('connected');
    expect(model.source).toBe('a.ipynb');
    expect(model.parameters).toHaveLength(21);
    expect(model.parameter('resources')?.rules.override).toBe('if not reusable');
    expect(model.editableLevels.map(l => l.title)).toEqual([
      'TaskEnvironment',
      '@env.task decorator',
      'task.override()'
    ]);
    expect(changes).toBe(2);
  });

  it('shows the tree and only the entity it selected', () => {
    const model = new SidebarModel();
    model.handle(kernel[0]);
    model.handle(kernel[1]);
    expect(model.environments).toEqual([
      { name: 'spec_env', tasks: [{ name: 'spec_env.work', function: 'work', overrides: [] }] }
    ]);
    model.handle(kernel[2]);
    expect(model.entity).toBeNull(); // nothing selected: an entity for someone else is ignored
    model.select({ kind: 'task', name: 'spec_env.work' });
    model.handle(kernel[2]);
    const retries = model.entity!.rows.find(r => r.parameter === 'retries')!;
    expect(retries.cells.decorator.text).toBe('2');
    expect(retries.cells.environment.disabled).toContain('can be set at');
    expect(retries.effective.level).toBe('decorator');
  });

  it('puts an edit error at its field and clears it when the field is accepted', () => {
    const model = new SidebarModel();
    model.handle(kernel[0]);
    model.select({ kind: 'task', name: 'spec_env.work' });
    model.handle(kernel[3]);
    expect(model.fieldErrors.get(fieldKey('retries', 'decorator'))).toContain('retries=-1 is invalid');
    model.handle({ ...(kernel[3] as object), ok: true, error: null } as KernelMessage);
    expect(model.fieldErrors.size).toBe(0);
    model.handle(kernel[4]);
    model.handle(kernel[5]);
    const retries = model.entity!.rows.find(r => r.parameter === 'retries')!;
    expect(retries.effective).toEqual({ value: { count: 4 }, code: '4', level: 'override' });
  });

  it('keeps runs newest first, appends logs, and signals a finished run once', () => {
    const model = new SidebarModel();
    model.handle(kernel[0]);
    const finished: string[] = [];
    model.runFinished.connect((_, r) => finished.push(r.id));
    model.handle({ version: VERSION, type: 'runs', runs: [run('r1', 'succeeded', 1)] });
    model.handle({ version: VERSION, type: 'run', run: run('r2', 'running', 2) });
    model.handle({ version: VERSION, type: 'log', run: 'r2', lines: ['a\n', 'b\n'] });
    model.handle({ version: VERSION, type: 'log', run: 'r2', lines: ['c\n'] });
    model.handle({ version: VERSION, type: 'run', run: run('r2', 'succeeded', 2) });
    model.handle({ version: VERSION, type: 'run', run: run('r2', 'succeeded', 2) });
    model.handle({ version: VERSION, type: 'report', run: 'r2', tabs: { main: '<p>hi</p>' }, path: null });
    expect(model.runList.map(r => r.id)).toEqual(['r2', 'r1']);
    expect(model.logs.get('r2')).toBe('a\nb\nc\n');
    expect(model.reports.get('r2')).toEqual({ main: '<p>hi</p>' });
    expect(finished).toEqual(['r2']);
    model.maxRuns = 1;
    expect(model.runList.map(r => r.id)).toEqual(['r2']);
  });

  it('forgets the kernel state when it is no longer connected, and refuses another protocol', () => {
    const model = new SidebarModel();
    model.handle(kernel[0]);
    model.handle(kernel[1]);
    model.setStatus('not-loaded');
    expect(model.environments).toEqual([]);
    expect(LOAD_LINE).toBe('%load_ext flyte_nb');
    model.handle({ ...(kernel[1] as object), version: 2 } as KernelMessage);
    expect(model.lastError).toContain('protocol 2');
    expect(model.environments).toEqual([]);
  });

  it('passes insert requests on and describes values and schemas', () => {
    const model = new SidebarModel();
    const inserted: string[] = [];
    model.insertRequested.connect((_, code) => inserted.push(code));
    model.handle({ version: VERSION, type: 'insert_cell', code: 'x = 1' });
    expect(inserted).toEqual(['x = 1']);
    expect(isFinal('succeeded') && !isFinal('running')).toBe(true);
    expect(showValue({ count: 3 })).toBe('{"count":3}');
    expect(showValue(null)).toBe('None');
    model.handle(kernel[0]);
    expect(describeSchema(model.parameter('max_inline_io_bytes')!.schema)).toBe('integer >= 0');
    expect(describeSchema(model.parameter('retries')!.schema)).toContain('RetryStrategy');
  });

  it('shows an unset level of an object form compactly, from the forms the kernel sent', () => {
    const model = new SidebarModel();
    model.handle(kernel[0]);
    model.select({ kind: 'task', name: 'spec_env.work' });
    model.handle(kernel[2]);
    const forms = model.entity!.forms;
    const structured = Object.keys(forms).filter(name => forms[name] && isStructured(forms[name]!.schema as any));
    expect(structured).toEqual(expect.arrayContaining(['resources', 'reusable', 'links', 'env_vars']));
    expect(structured).not.toContain('retries'); // its first choice is a count: already short
    expect(structured).not.toContain('cache');
    expect(structured).not.toContain('timeout');
  });

  it('reads and writes the GPU picker with the counts the kernel allows', () => {
    const model = new SidebarModel();
    model.handle(kernel[0]);
    model.select({ kind: 'task', name: 'spec_env.work' });
    model.handle(kernel[2]);
    const gpu = (model.entity!.forms.resources!.schema as any).properties.gpu;
    expect(gpu['x-devices'].A100).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(gpu['x-devices']['T4 shared']).toEqual([1]);
    expect(splitGpu('A100:2')).toEqual({ model: 'A100', count: 2 });
    expect(splitGpu('T4 shared:1')).toEqual({ model: 'T4 shared', count: 1 });
    expect(splitGpu(2)).toEqual({ model: '*', count: 2 });
    expect(splitGpu(undefined)).toEqual({ model: null, count: null });
    expect(joinGpu('A100', 2, gpu['x-devices'].A100)).toBe('A100:2');
    expect(joinGpu('A2', 4, gpu['x-devices'].A2)).toBe('A2:1'); // A2 comes one at a time
    expect(joinGpu(null, 3, null)).toBe(3);
    expect(joinGpu(null, 0, null)).toBe(1);
    expect(splitQuantity('512Mi')).toEqual(['512', 'Mi']);
    expect(splitQuantity(undefined)).toEqual(['', '']);
  });
});
