/**
 * The sidebar's timeline laid out from a real kernel timeline: flyte_nb/bridge.py's `timeline` message
 * for a parent task whose two nested calls ran in local subprocesses, measured as they ran.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';

import * as React from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { beforeAll, describe, expect, it } from 'vitest';

import { SidebarModel } from '../model';
import { KernelMessage } from '../protocol';
import { figures, ITimeline, layout, ROW, size, TimelineChart, ticks } from '../timeline';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const PYTHON = process.env.FLYTE_NB_PYTHON ?? path.join(ROOT, '.venv', 'bin', 'python');

const SCRIPT = `
import json, tempfile, os
os.environ["FLYTE_NB_CACHE_DIR"] = tempfile.mkdtemp()
import flyte_nb as flyte
from flyte_nb import bridge
flyte.init(runner="local", quiet=True)
env = flyte.TaskEnvironment(name="tl_env", resources=flyte.Resources(memory="2Gi"))
@env.task
def leaf(n: int) -> int:
    block = b"1" * (n * 2**20)
    return len(block)
@env.task
def parent(n: int) -> int:
    return leaf(n) + leaf(2 * n)
parent(30)
print(json.dumps(bridge.timeline_message()))
`;

let message: KernelMessage & ITimeline;

beforeAll(() => {
  message = JSON.parse(execFileSync(PYTHON, ['-c', SCRIPT], { cwd: ROOT, encoding: 'utf-8' }));
}, 120_000);

describe('timeline', () => {
  it('is kept by the model as the kernel sent it', () => {
    const model = new SidebarModel();
    model.handle(message);
    expect(model.timeline?.rows.map(row => [row.task, row.depth])).toEqual([
      ['tl_env.parent', 0],
      ['tl_env.leaf', 1],
      ['tl_env.leaf', 1]
    ]);
    model.setStatus('not-loaded');
    expect(model.timeline).toBeNull();
  });

  it('lays nested calls inside their parent, one row each, with a memory line', () => {
    const { rows, ticks: marks, x } = layout(message, 320);
    const [parent, first, second] = rows;
    expect(rows.map(r => r.top)).toEqual([18, 18 + ROW, 18 + 2 * ROW]);
    expect(first.indent).toBeGreaterThan(parent.indent);
    const end = (bar: { x: number; width: number }): number => bar.x + bar.width;
    expect(first.bars[0].x).toBeGreaterThanOrEqual(parent.bars[0].x);
    expect(end(second.bars[0])).toBeLessThanOrEqual(end(parent.bars[0]) + 2);
    expect(first.bars[0].color).toBe(message.colors.succeeded);
    expect(x(message.span)).toBeLessThanOrEqual(320);
    expect(marks[0]).toBe(0);
    expect(rows.every(r => r.row.peak_memory !== null && r.row.used.startsWith('peak '))).toBe(true);
    expect(second.row.peak_memory as number).toBeGreaterThanOrEqual(60 * 2 ** 20);
    expect(rows.some(r => r.memory.split(' ').length >= 2)).toBe(true);
  });

  it('draws an accessible SVG: one focusable row per run, the hint in its label', () => {
    const markup = renderToStaticMarkup(React.createElement(TimelineChart, { data: message, width: 320 }));
    expect(markup.match(/role="button"/g)).toHaveLength(3);
    expect(markup.match(/tabindex="0"/g)).toHaveLength(3);
    expect(markup).toContain('data-depth="1"');
    expect(markup).toContain('would fit'); // 2 GiB asked for a few tens of MiB
    expect(markup).toContain(' ▼'); // a smaller request would fit: its hint is in the row's label
    expect(markup).toMatch(/\d+ MiB \/ 2 GiB · \d+\.\d CPU-s · \d+\.\ds/);
    const empty = renderToStaticMarkup(
      React.createElement(TimelineChart, { data: { ...message, rows: [], span: 0 }, width: 320 })
    );
    expect(empty).toContain('No run yet');
  });

  it('writes sizes as the kernel does and short figures for a narrow sidebar', () => {
    expect([310 * 2 ** 20, 2 ** 31, 1.5 * 2 ** 30, 9.5 * 2 ** 20, 512].map(size)).toEqual([
      '310 MiB',
      '2 GiB',
      '1.5 GiB',
      '9.5 MiB',
      '512 B'
    ]);
    const cached = { ...message.rows[0], status: 'cached', peak_memory: null, cpu_seconds: null, wall_seconds: null };
    expect(figures(cached)).toBe('cache hit');
    const oom = { ...message.rows[0], peak_memory: 2 ** 26, memory_limit: 2 ** 26, cpu_seconds: 0.12, wall_seconds: 1.26 };
    expect(figures(oom)).toBe('64 MiB / 64 MiB · 0.1 CPU-s · 1.3s');
  });

  it('puts about four round ticks on any span', () => {
    expect(ticks(1)).toEqual([0, 0.5, 1]);
    expect(ticks(7.3)).toEqual([0, 2, 4, 6]);
    expect(ticks(100)).toEqual([0, 30, 60, 90]);
  });
});
