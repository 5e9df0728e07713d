/** The history chart: FLOPS (left axis) and active hosts (right axis) with uPlot, sized to its container. */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { HistoryPoint } from '../../protocol/index.js';
import { si } from './format.js';

const HEIGHT = 220;

export class HistoryChart {
  private readonly plot: uPlot;
  private readonly resize: ResizeObserver;
  private points: HistoryPoint[] = [];
  /** The x axis always spans the whole range chosen, ending now, however few points there are yet. */
  private spanMs = 3_600_000;

  constructor(private readonly el: HTMLElement) {
    const css = getComputedStyle(document.documentElement);
    const accent = css.getPropertyValue('--accent').trim() || '#2f7de1';
    const second = css.getPropertyValue('--second').trim() || '#e0882f';
    const ink = css.getPropertyValue('--muted').trim() || '#888';
    const grid = { stroke: css.getPropertyValue('--rule').trim() || '#ddd', width: 1 };
    const axis = { stroke: ink, grid, ticks: grid };
    this.plot = new uPlot(
      {
        width: Math.max(el.clientWidth, 200),
        height: HEIGHT,
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true, range: () => [(Date.now() - this.spanMs) / 1000, Date.now() / 1000] }, flops: { range: (_u, _min, max) => [0, Math.max(max * 1.15, 1)] }, hosts: { range: (_u, _min, max) => [0, Math.ceil(Math.max(max, 1) * 1.3)] } },
        series: [
          {},
          // Headroom above each line keeps the two series' newest points from landing on one pixel.
          { label: 'FLOPS', scale: 'flops', stroke: accent, width: 2, fill: `${accent}22`, points: { size: 7 }, value: (_u, v) => (v === null ? '—' : si(v, 'FLOPS')) },
          { label: 'hosts', scale: 'hosts', stroke: second, width: 1.5, value: (_u, v) => (v === null ? '—' : String(v)) },
        ],
        axes: [
          axis,
          { ...axis, scale: 'flops', size: 60, values: (_u, vals) => vals.map((v) => si(v)) },
          // Hosts are whole: no 0.2-host ticks.
          { ...axis, scale: 'hosts', side: 1, size: 40, grid: { show: false }, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 1e6] },
        ],
      },
      [[], [], []],
      el,
    );
    this.resize = new ResizeObserver(() => this.plot.setSize({ width: Math.max(el.clientWidth, 200), height: HEIGHT }));
    this.resize.observe(el);
  }

  set(points: HistoryPoint[], spanMs: number): void {
    this.points = points;
    this.spanMs = spanMs;
    this.draw();
  }

  /** A live point: appended when newer than the last, the oldest dropped once the span is exceeded. */
  push(p: HistoryPoint): void {
    const last = this.points[this.points.length - 1];
    if (last && p.t <= last.t) return;
    this.points = [...this.points.filter((q) => q.t >= p.t - this.spanMs), p];
    this.draw();
  }

  get size(): number {
    return this.points.length;
  }

  destroy(): void {
    this.resize.disconnect();
    this.plot.destroy();
  }

  private draw(): void {
    const pts = this.points;
    this.plot.setData([pts.map((p) => p.t / 1000), pts.map((p) => p.flops), pts.map((p) => p.hosts)]);
    // For tests and curious readers of the DOM: what the chart holds.
    this.el.dataset.points = String(pts.length);
    this.el.dataset.maxFlops = String(Math.max(0, ...pts.map((p) => p.flops ?? 0)));
  }
}
