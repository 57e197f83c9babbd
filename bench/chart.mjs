// The headline ratios as an SVG bar chart (bench/chart.svg): one group per figure, one bar per
// agent, the target drawn as a dashed line. No dependency: SVG is text.
const AGENTS = [
  ['warden', 'Warden', '#2b6cb0'],
  ['zen', 'Aikido Zen', '#dd6b20'],
  ['ddtrace', 'dd-trace', '#805ad5'],
];
const FIGURES = [
  ['start-up', 'startup_ratio', 1.15],
  ['fs read', 'fs_read_ratio', 1.1],
  ['spawn', 'spawn_ratio', 1.03],
  ['http', 'http_ratio', 1.05],
  ['fetch', 'fetch_ratio', 1.05],
];

export function chart(r) {
  const key = (base, agent) => (agent === 'warden' ? base : `${base}_${agent}`);
  const values = FIGURES.flatMap(([, k]) => AGENTS.map(([a]) => r[key(k, a)] ?? 0));
  const max = Math.max(1.5, ...values) * 1.1;
  const W = 760;
  const H = 340;
  const left = 50;
  const bottom = 290;
  const top = 30;
  const y = (v) => bottom - ((bottom - top) * v) / max;
  const group = (W - left - 20) / FIGURES.length;
  const bar = (group - 30) / AGENTS.length;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    '<title>Warden, Aikido Zen and dd-trace: overhead as a ratio to plain Node</title>',
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${left}" y="18" font-size="14">Overhead as a ratio to plain Node (lower is better; dashed: Warden's target)</text>`,
  ];
  for (let t = 0; t <= max; t += 0.5)
    out.push(
      `<line x1="${left}" x2="${W - 20}" y1="${y(t)}" y2="${y(t)}" stroke="#e2e8f0"/>`,
      `<text x="${left - 6}" y="${y(t) + 4}" text-anchor="end">${t.toFixed(1)}</text>`,
    );
  FIGURES.forEach(([label, k, target], i) => {
    const x0 = left + i * group + 15;
    AGENTS.forEach(([a, , color], j) => {
      const v = r[key(k, a)];
      if (typeof v !== 'number') return;
      const x = x0 + j * bar;
      out.push(
        `<rect x="${x}" y="${y(v)}" width="${bar - 4}" height="${bottom - y(v)}" fill="${color}"/>`,
        `<text x="${x + (bar - 4) / 2}" y="${y(v) - 4}" text-anchor="middle" font-size="10">${v.toFixed(2)}</text>`,
      );
    });
    out.push(
      `<line x1="${x0 - 4}" x2="${x0 + AGENTS.length * bar}" y1="${y(target)}" y2="${y(target)}" stroke="black" stroke-dasharray="4 3"/>`,
      `<text x="${x0 + (AGENTS.length * bar) / 2}" y="${bottom + 16}" text-anchor="middle">${label}</text>`,
    );
  });
  AGENTS.forEach(([, name, color], j) => {
    out.push(
      `<rect x="${left + j * 130}" y="${H - 22}" width="12" height="12" fill="${color}"/>`,
      `<text x="${left + j * 130 + 16}" y="${H - 12}">${name}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
