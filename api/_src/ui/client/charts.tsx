/**
 * @module ui/client/charts
 * Plain-SVG charts: a column chart of one value per day and a horizontal bar chart of shares. Both draw in a
 * viewBox, so they scale down to 375 px; every bar has a <title> (the browser's tooltip), and the same numbers are in
 * a visually-hidden table for screen readers (the SVG itself is aria-hidden, since a list of rectangles says nothing).
 * Sizes are SVG attributes, never style: the CSP allows stylesheets only.
 */
import { compactCount, formatShare, labelStride, niceTicks, shortDay } from './chart-scale.ts';

const WIDTH = 640;
const HEIGHT = 200;
const MARGIN = { top: 10, right: 8, bottom: 26, left: 38 };

export interface DayValue {
  day: string;
  value: number;
}

/** Columns per day with a y axis of round ticks; `unit` names the value ("downloads"). */
export function DailyBarChart({ data, unit, caption }: { data: DayValue[]; unit: string; caption: string }) {
  const ticks = niceTicks(Math.max(0, ...data.map((point) => point.value)));
  const top = ticks[ticks.length - 1]!;
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const slot = plotWidth / Math.max(1, data.length);
  const gap = slot > 6 ? slot * 0.2 : 0.5;
  const y = (value: number) => MARGIN.top + plotHeight - (value / top) * plotHeight;
  const stride = labelStride(data.length, 6);
  const total = data.reduce((sum, point) => sum + point.value, 0);
  return (
    <figure class="chart-figure">
      <svg class="chart" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} aria-hidden="true" focusable="false">
        {ticks.map((tick) => (
          <g key={`y${tick}`}>
            <line class="grid-line" x1={MARGIN.left} x2={WIDTH - MARGIN.right} y1={y(tick)} y2={y(tick)} />
            <text x={MARGIN.left - 6} y={y(tick) + 4} text-anchor="end">
              {compactCount(tick)}
            </text>
          </g>
        ))}
        {data.map((point, index) => {
          const x = MARGIN.left + index * slot + gap / 2;
          const height = y(0) - y(point.value);
          return (
            <g key={point.day}>
              {/* A full-height hit area, so a tooltip shows on days with small or zero counts too. */}
              <rect class="bar-hit" x={MARGIN.left + index * slot} y={MARGIN.top} width={slot} height={plotHeight}>
                <title>{`${shortDay(point.day)}: ${point.value} ${unit}`}</title>
              </rect>
              <rect class="bar" x={x} y={y(point.value)} width={Math.max(0.5, slot - gap)} height={Math.max(0, height)}>
                <title>{`${shortDay(point.day)}: ${point.value} ${unit}`}</title>
              </rect>
              {(data.length - 1 - index) % stride === 0 ? (
                <text
                  x={index === data.length - 1 && data.length > 1 ? WIDTH - MARGIN.right : MARGIN.left + index * slot + slot / 2}
                  y={HEIGHT - 8}
                  text-anchor={index === data.length - 1 && data.length > 1 ? 'end' : 'middle'}
                >
                  {shortDay(point.day)}
                </text>
              ) : null}
            </g>
          );
        })}
        <line class="axis" x1={MARGIN.left} x2={WIDTH - MARGIN.right} y1={y(0)} y2={y(0)} />
      </svg>
      <figcaption class="muted small">
        {caption}: {total} {unit} in total.
      </figcaption>
      <div class="visually-hidden">
        <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Day (UTC)</th>
            <th scope="col">{unit}</th>
          </tr>
        </thead>
        <tbody>
          {data.map((point) => (
            <tr key={point.day}>
              <th scope="row">{point.day}</th>
              <td>{point.value}</td>
            </tr>
          ))}
        </tbody>
        </table>
      </div>
    </figure>
  );
}

export interface ShareBar {
  label: string;
  share: number;
  /** What the share is of, for the tooltip and table, e.g. "42 installs". */
  detail: string;
}

/** One horizontal bar per row, 0–100 %, the label above the bar so long versions fit at 375 px. */
export function ShareBarChart({ data, caption }: { data: ShareBar[]; caption: string }) {
  const row = 34;
  const height = data.length * row + 4;
  const labelWidth = 70;
  const barWidth = WIDTH - labelWidth - 4;
  return (
    <figure class="chart-figure">
      <svg class="chart" viewBox={`0 0 ${WIDTH} ${height}`} aria-hidden="true" focusable="false">
        {data.map((bar, index) => {
          const top = index * row + 4;
          const title = `${bar.label}: ${formatShare(bar.share)} (${bar.detail})`;
          return (
            <g key={bar.label}>
              <text x={0} y={top + 11}>
                {bar.label}
              </text>
              <rect class="bar-track" x={0} y={top + 15} width={barWidth} height={12} />
              <rect class={`series-${index % 6}`} x={0} y={top + 15} width={Math.max(bar.share > 0 ? 1 : 0, bar.share * barWidth)} height={12}>
                <title>{title}</title>
              </rect>
              <text x={WIDTH} y={top + 25} text-anchor="end">
                {formatShare(bar.share)}
              </text>
            </g>
          );
        })}
      </svg>
      <div class="visually-hidden">
        <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Share</th>
            <th scope="col">Count</th>
          </tr>
        </thead>
        <tbody>
          {data.map((bar) => (
            <tr key={bar.label}>
              <th scope="row">{bar.label}</th>
              <td>{formatShare(bar.share)}</td>
              <td>{bar.detail}</td>
            </tr>
          ))}
        </tbody>
        </table>
      </div>
    </figure>
  );
}
