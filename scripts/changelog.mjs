// Writes CHANGELOG.md from the conventional commits on the current branch: one section per
// version in package.json, features and fixes by area, newest first (`node scripts/changelog.mjs`).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const log = execFileSync('git', ['log', '--no-merges', '--format=%h%x09%s'], { cwd: root, encoding: 'utf8' });
const groups = { feat: 'Features', fix: 'Fixes', perf: 'Performance' };
const sections = { feat: new Map(), fix: new Map(), perf: new Map() };
for (const line of log.trim().split('\n')) {
  const [hash, subject] = line.split('\t');
  const m = /^(feat|fix|perf)(?:\(([^)]+)\))?!?: (.+)$/.exec(subject ?? '');
  if (!m) continue;
  const area = m[2] ?? 'general';
  const list = sections[m[1]].get(area) ?? [];
  list.push(`- ${m[3]} (${hash})`);
  sections[m[1]].set(area, list);
}
let out = `# Changelog\n\nFrom the conventional commits (\`node scripts/changelog.mjs\`): features, fixes and\nperformance work, by area, newest first. Refactors, tests, docs and chores are in \`git log\`.\n\n## ${version} (unreleased)\n`;
for (const [type, title] of Object.entries(groups)) {
  if (sections[type].size === 0) continue;
  out += `\n### ${title}\n`;
  for (const [area, items] of [...sections[type]].sort(([a], [b]) => a.localeCompare(b)))
    out += `\n#### ${area}\n\n${items.join('\n')}\n`;
}
writeFileSync(join(root, 'CHANGELOG.md'), out);
