/**
 * The headline chart of `npm run bench`: each comparison's median time as a
 * horizontal bar on a log scale (the contenders span five orders of
 * magnitude), grouped by comparison. Plain SVG, no library: it is a few
 * rectangles and labels.
 */
export interface ChartGroup {
  readonly title: string;
  readonly bars: readonly { readonly label: string; readonly ms: number; readonly ours: boolean }[];
}

const width = 900;
const labelWidth = 330;
const barHeight = 18;
const gap = 6;
const groupGap = 22;
const titleHeight = 20;

export function benchmarkChart(groups: readonly ChartGroup[], caption: string): string {
  const all = groups.flatMap((group) => group.bars.map((bar) => bar.ms));
  const min = Math.pow(10, Math.floor(Math.log10(Math.min(...all))));
  const max = Math.pow(10, Math.ceil(Math.log10(Math.max(...all))));
  const plot = width - labelWidth - 90;
  const x = (ms: number) => labelWidth + (Math.log10(ms / min) / Math.log10(max / min)) * plot;
  const parts: string[] = [];
  let y = 40;
  for (const group of groups) {
    parts.push(`<text x="10" y="${y + 14}" class="title">${escape(group.title)}</text>`);
    y += titleHeight + 4;
    for (const bar of group.bars) {
      const end = Math.max(x(bar.ms), labelWidth + 2);
      parts.push(
        `<text x="${labelWidth - 8}" y="${y + 13}" class="label" text-anchor="end">${escape(bar.label)}</text>`,
        `<rect x="${labelWidth}" y="${y}" width="${(end - labelWidth).toFixed(1)}" height="${barHeight}" class="${bar.ours ? 'ours' : 'peer'}"/>`,
        `<text x="${(end + 6).toFixed(1)}" y="${y + 13}" class="value">${formatMs(bar.ms)}</text>`,
      );
      y += barHeight + gap;
    }
    y += groupGap;
  }
  const ticks: string[] = [];
  for (let tick = min; tick <= max; tick *= 10) {
    ticks.push(
      `<line x1="${x(tick).toFixed(1)}" y1="30" x2="${x(tick).toFixed(1)}" y2="${y - groupGap}" class="grid"/>`,
      `<text x="${x(tick).toFixed(1)}" y="24" class="tick" text-anchor="middle">${formatMs(tick)}</text>`,
    );
  }
  const height = y + 10;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif">`,
    '<style>.title{font-size:14px;font-weight:600;fill:#222}.label{font-size:12px;fill:#333}.value{font-size:11px;fill:#555}',
    '.tick{font-size:10px;fill:#777}.grid{stroke:#ddd;stroke-width:1}.ours{fill:#2f7d5b}.peer{fill:#9aa5b1}</style>',
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="10" y="14" class="tick">${escape(caption)}</text>`,
    ...ticks,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(ms >= 10_000 ? 0 : 1)} s`;
  if (ms >= 1) return `${ms.toFixed(ms >= 100 ? 0 : 1)} ms`;
  return `${(ms * 1000).toFixed(0)} µs`;
}

function escape(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
