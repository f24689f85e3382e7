/**
 * The sidebar's timeline of runs: a Gantt chart of task calls, each nested call under the call that
 * made it, coloured by status, with each call's memory over time drawn in its bar and its peak, CPU
 * and wall time written under it.
 *
 * The data is the kernel's (flyte_nb/timeline.py, the same rows `%flyte_timeline` draws in a cell),
 * asked for with `get_timeline` whenever a run changes status; only the layout is done here, as
 * plain SVG styled with JupyterLab's theme variables, so it follows the light and dark themes.
 */
import * as React from 'react';

import type { KernelBridge } from './bridge';

export interface ITimelineAttempt {
  number: number;
  status: string;
  start: number;
  end: number;
}

/** One run as the kernel lays it out: times in seconds since the first run started. */
export interface ITimelineRow {
  id: string;
  task: string;
  parent: string | null;
  depth: number;
  status: string;
  start: number;
  end: number;
  done: boolean;
  attempts: ITimelineAttempt[];
  peak_memory: number | null;
  memory_limit: number | null;
  cpu_seconds: number | null;
  wall_seconds: number | null;
  /** [seconds since the first start, bytes in use, CPU seconds so far] */
  samples: [number, number | null, number | null][];
  used: string;
  hint: string | null;
  hint_more: boolean | null;
}

export interface ITimeline {
  origin: number;
  span: number;
  rows: ITimelineRow[];
  colors: Record<string, string>;
}

/** Row geometry: the name line, the bar, the figures line. */
export const ROW = 46;
const NAME_Y = 12;
const BAR_Y = 17;
const BAR_H = 12;
const USED_Y = 41;
const INDENT = 12;
const AXIS = 18;

export interface IBar {
  x: number;
  width: number;
  color: string;
}

export interface ILaidOutRow {
  row: ITimelineRow;
  top: number;
  indent: number;
  queued: IBar | null;
  bars: IBar[];
  /** The memory line's points inside the bar ("x,y x,y"), '' when there are fewer than two samples. */
  memory: string;
}

/** Where each row's bars go in a chart `width` pixels wide: a pure function of the kernel's data. */
export function layout(data: ITimeline, width: number): { rows: ILaidOutRow[]; ticks: number[]; x: (t: number) => number } {
  const span = Math.max(data.span, 0.1);
  const left = INDENT;
  const plot = Math.max(60, width - left - 18); // room for the last tick's label
  const x = (t: number): number => Math.round((left + (plot * Math.max(0, t)) / span) * 100) / 100;
  const color = (status: string): string => data.colors[status] ?? '#777777';
  const rows = data.rows.map((row, index) => {
    const top = AXIS + index * ROW;
    const first = row.attempts.length > 0 ? row.attempts[0].start : row.end;
    const queued =
      first > row.start ? { x: x(row.start), width: Math.max(1, x(first) - x(row.start)), color: color(row.status) } : null;
    const segments = row.attempts.length > 0 ? row.attempts : [{ number: 0, status: row.status, start: row.start, end: row.end }];
    const bars = segments.map(a => ({ x: x(a.start), width: Math.max(2, x(a.end) - x(a.start)), color: color(a.status) }));
    const scale = row.memory_limit ?? row.peak_memory;
    const points = row.samples.filter(s => s[1] !== null);
    const memory =
      points.length >= 2 && scale
        ? points
            .map(([at, bytes]) => {
              const y = top + BAR_Y + BAR_H - 1 - (BAR_H - 2) * Math.min(1, (bytes as number) / scale);
              return `${x(at)},${Math.round(y * 100) / 100}`;
            })
            .join(' ')
        : '';
    return { row, top, indent: INDENT + row.depth * 12, queued, bars, memory };
  });
  return { rows, ticks: ticks(span), x };
}

/** Bytes as the kernel writes them (flyte_nb/usage.py size): 310 MiB, 2 GiB, 1.5 GiB. */
export function size(count: number): string {
  for (const [unit, factor] of [['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as [string, number][]) {
    if (count >= factor) {
      const value = count / factor;
      return value >= 10 || value === Math.floor(value) ? `${value.toFixed(0)} ${unit}` : `${value.toFixed(1)} ${unit}`;
    }
  }
  return `${count} B`;
}

/** A row's figures short enough for a 250 px sidebar: "24 MiB / 1 GiB · 0.2 CPU-s · 33.0s" (the full
 * sentence and the hint are in the row's label and tooltip). */
export function figures(row: ITimelineRow): string {
  if (row.peak_memory === null && row.cpu_seconds === null) {
    return row.status === 'cached' ? 'cache hit' : row.status.replace('_', ' ');
  }
  const parts: string[] = [];
  if (row.peak_memory !== null) {
    parts.push(size(row.peak_memory) + (row.memory_limit ? ` / ${size(row.memory_limit)}` : ''));
  }
  if (row.cpu_seconds !== null) {
    parts.push(`${row.cpu_seconds.toFixed(1)} CPU-s`);
  }
  if (row.wall_seconds !== null) {
    parts.push(`${row.wall_seconds.toFixed(1)}s`);
  }
  return parts.join(' · ');
}

/** About four round tick marks over [0, span] seconds. */
export function ticks(span: number): number[] {
  const steps = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200];
  const step = steps.find(s => span / s <= 4) ?? Math.ceil(span / 4);
  const marks: number[] = [];
  for (let t = 0; t <= span + 1e-9; t += step) {
    marks.push(Math.round(t * 1000) / 1000);
  }
  return marks;
}

export function TimelineChart(props: {
  data: ITimeline;
  width?: number;
  onOpenRun?: (id: string) => void;
}): JSX.Element {
  const { data, onOpenRun } = props;
  const width = props.width ?? 320;
  const { rows, ticks: marks, x } = layout(data, width);
  const height = AXIS + Math.max(1, rows.length) * ROW + 4;
  const text = { fill: 'var(--jp-ui-font-color1)' };
  const muted = { fill: 'var(--jp-ui-font-color2)' };
  const grid = { stroke: 'var(--jp-border-color2)' };
  if (rows.length === 0) {
    return <p className="jp-flyte-nb-hint">No run yet: the timeline fills as tasks run.</p>;
  }
  return (
    <svg
      className="jp-flyte-nb-timeline-chart"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="group"
      aria-label={`Timeline of ${rows.length} runs over ${data.span.toFixed(1)} seconds`}
      style={{ fontFamily: 'var(--jp-ui-font-family)', fontSize: 'var(--jp-ui-font-size0, 11px)' }}
    >
      {marks.map(t => (
        <g key={`tick-${t}`}>
          <line x1={x(t)} y1={AXIS - 4} x2={x(t)} y2={height - 4} style={grid} />
          <text x={x(t)} y={AXIS - 7} textAnchor="middle" style={muted}>
            {`${t}s`}
          </text>
        </g>
      ))}
      {rows.map(({ row, top, indent, queued, bars, memory }) => {
        const label = `${row.task} ${row.id}: ${row.status.replace('_', ' ')}` + (row.used ? `, ${row.used}` : '');
        const open = (): void => onOpenRun?.(row.id);
        return (
          <g
            key={row.id}
            className="jp-flyte-nb-timeline-row"
            data-run={row.id}
            data-status={row.status}
            data-depth={row.depth}
            tabIndex={0}
            role="button"
            aria-label={label + (row.hint ? `. ${row.hint}` : '')}
            onClick={open}
            onKeyDown={event => {
              if (event.key === 'Enter' || event.key === ' ') {
                event.preventDefault();
                open();
              }
            }}
          >
            <title>{label + (row.hint ? `\n${row.hint}` : '')}</title>
            {row.depth > 0 && (
              <path d={`M${indent - 8} ${top + 2} V${top + NAME_Y - 4} H${indent - 2}`} fill="none" style={grid} />
            )}
            <text x={indent} y={top + NAME_Y} style={text}>
              {row.task}{' '}
              <tspan style={muted}>{row.id}</tspan>
            </text>
            {queued && (
              <rect x={queued.x} y={top + BAR_Y + 3} width={queued.width} height={BAR_H - 6} rx={2} fill={queued.color} opacity={0.35} />
            )}
            {bars.map((bar, index) => (
              <rect key={index} x={bar.x} y={top + BAR_Y} width={bar.width} height={BAR_H} rx={3} fill={bar.color} />
            ))}
            {memory && <polyline points={memory} fill="none" stroke="#ffffff" strokeWidth={1.5} opacity={0.9} />}
            <text x={indent} y={top + USED_Y} style={muted}>
              {figures(row)}
              {row.hint && (
                <tspan fontWeight="bold" style={text}>
                  {row.hint_more ? ' ▲' : ' ▼'}
                </tspan>
              )}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

/**
 * The timeline in the sidebar: asks the kernel for the rows on mount and whenever a run changes
 * status (once per 0.5 s at most), and draws them at the sidebar's width.
 */
export function TimelineSection(props: {
  bridge: KernelBridge;
  onOpenRun?: (id: string) => void;
}): JSX.Element {
  const { bridge, onOpenRun } = props;
  const model = bridge.model;
  const ref = React.useRef<HTMLElement>(null);
  const [width, setWidth] = React.useState(320);
  const statuses = [...model.runs.values()].map(run => `${run.id}:${run.status}`).join(' ');
  React.useEffect(() => {
    const timer = window.setTimeout(() => bridge.send({ type: 'get_timeline', run: null }), 500);
    return () => window.clearTimeout(timer);
  }, [bridge, statuses]);
  React.useEffect(() => {
    const element = ref.current;
    if (!element || typeof ResizeObserver === 'undefined') {
      return;
    }
    const observer = new ResizeObserver(entries => setWidth(Math.max(200, Math.floor(entries[0].contentRect.width))));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return (
    <section ref={ref} className="jp-flyte-nb-timeline" aria-label="Timeline of runs">
      <h3>Timeline</h3>
      {model.timeline ? (
        <TimelineChart data={model.timeline} width={width} onOpenRun={onOpenRun} />
      ) : (
        <p className="jp-flyte-nb-hint">Asking the kernel for the timeline…</p>
      )}
    </section>
  );
}
