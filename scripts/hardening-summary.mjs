// One line for `npm test`: the counts of every hardening suite that ran, summed from
// test-results/hardening/*.json ({"faults":{"tried":N,"survived":M}}, {"inputs":{"tried":N,"handled":M}},
// {"secrets":{"probes":N,"clean":M}}, any subset per file). A kind no file reports did not run.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'test-results/hardening';
const kinds = [
  ['faults', 'tried', 'survived', 'faults', 'survived'],
  ['inputs', 'tried', 'handled', 'inputs', 'handled'],
  ['secrets', 'probes', 'clean', 'secret probes', 'clean'],
];
const sums = new Map();
const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
for (const file of files) {
  let data;
  try {
    data = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  } catch (e) {
    console.log(`hardening: ${file} is unreadable (${e.message})`);
    continue;
  }
  for (const [kind, total, good] of kinds) {
    const entry = data?.[kind];
    if (!entry) continue;
    const s = sums.get(kind) ?? [0, 0];
    s[0] += Number(entry[total]) || 0;
    s[1] += Number(entry[good]) || 0;
    sums.set(kind, s);
  }
}
const parts = kinds.map(([kind, , , label, word]) => {
  const s = sums.get(kind);
  return s ? `${label} ${s[1]}/${s[0]} ${word}` : `${label}: did not run`;
});
console.log(`hardening: ${parts.join(' · ')}`);
