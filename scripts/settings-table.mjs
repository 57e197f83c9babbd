// Prints the README's settings table from the one settings module (src/settings.ts), so the
// table and the code cannot drift (test/unit/settings.test.mjs compares them).
import { createRequire } from 'node:module';

const { SETTINGS } = createRequire(import.meta.url)('../dist/lib.cjs');
const rows = SETTINGS.map((s) => {
  const values = s.values
    ? s.values.map((v) => `\`${v}\``).join(', ')
    : s.items
      ? `comma list of ${s.items.map((v) => `\`${v}\``).join(', ')}`
      : s.kind;
  const who = `${s.readBy.join(', ')}${s.internal ? ' (set by Warden)' : ''}`;
  return `| \`${s.name}\` | ${values} | ${who} | ${s.fallback} | ${s.doc} |`;
});
console.log('| setting | values | read by | unset, or not understood | meaning |');
console.log('| --- | --- | --- | --- | --- |');
for (const r of rows) console.log(r);
