// The console's one island of script: each chart the server drew as SVG (per-day stacked bars)
// is redrawn with uPlot, which adds a cursor that reads out every series of the day under it and
// a legend to show or hide a series. Without script the SVG stays: nothing depends on this.
import uPlot from 'uplot';

const DAY_S = 86_400;

function draw(figure) {
  const spec = JSON.parse(figure.dataset.chart);
  const days = spec.days.map((ms) => ms / 1000);
  // Stacked: series k is drawn at the sum of series 0..k, the tallest first so each lower one
  // is painted over it; the legend and cursor show each series' own count.
  const sums = [];
  let running = days.map(() => 0);
  for (const s of spec.series) {
    running = running.map((v, i) => v + (s.values[i] ?? 0));
    sums.push(running);
  }
  const order = spec.series.map((_, k) => k).reverse();
  const bars = uPlot.paths.bars({ size: [0.8, 40], align: 0 });
  const width = Math.max(320, Math.min(figure.clientWidth || 700, 1000));
  const chart = new uPlot(
    {
      width,
      height: spec.height ?? 180,
      title: spec.title,
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true, range: [days[0] - DAY_S / 2, days[days.length - 1] + DAY_S / 2] } },
      axes: [{ space: 60 }, { size: 50 }],
      series: [
        {
          label: 'Day',
          value: (_u, v) => (v === null ? '—' : new Date(v * 1000).toISOString().slice(0, 10)),
        },
        ...order.map((k) => ({
          label: spec.series[k].label,
          stroke: spec.series[k].color,
          fill: spec.series[k].color,
          paths: bars,
          points: { show: false },
          value: (_u, _v, _si, i) =>
            i === null || i === undefined ? '—' : String(spec.series[k].values[i] ?? 0),
        })),
      ],
    },
    [days, ...order.map((k) => sums[k])],
    figure,
  );
  for (const old of figure.querySelectorAll('svg, .fallback-legend')) old.remove();
  figure.dataset.drawn = String(chart.series.length - 1);
}

for (const figure of document.querySelectorAll('figure[data-chart]')) {
  try {
    draw(figure);
  } catch {
    // The server's SVG stays in place.
  }
}
