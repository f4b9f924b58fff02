// Reading received reports (figures, not a test): 1,000 DMARC aggregate reports of the size
// large receivers send for a busy small domain (gzip'd XML, 20 sources each), decoded, parsed,
// checked for domain and summarised, in-process. Goal: >= 500 reports/s. Printed beside it, in
// the same run: the same reports already inflated, to show what decoding costs.
//   npm run bench -- reports      (needs no server)
import { gzipSync } from 'node:zlib';
import { collectReports, ownerDomain, summariseReports } from '../src/core/reports';

const REPORTS = Number(process.env.REPORTS ?? 1000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const DOMAINS = ['example.test', 'example.net'];

function report(i: number): string {
  const rows = Array.from({ length: 20 }, (_, r) => {
    const pass = r % 5 !== 0;
    return `<record><row><source_ip>198.51.${r}.${i % 250}</source_ip><count>${1 + ((i * r) % 40)}</count>
<policy_evaluated><disposition>${pass ? 'none' : 'quarantine'}</disposition><dkim>${pass ? 'pass' : 'fail'}</dkim><spf>${r % 3 ? 'pass' : 'fail'}</spf></policy_evaluated></row>
<identifiers><header_from>${DOMAINS[i % 2]}</header_from></identifiers>
<auth_results><dkim><domain>${DOMAINS[i % 2]}</domain><selector>mw2026a</selector><result>${pass ? 'pass' : 'fail'}</result></dkim>
<spf><domain>${DOMAINS[i % 2]}</domain><result>${r % 3 ? 'pass' : 'fail'}</result></spf></auth_results></record>`;
  }).join('\n');
  return `<?xml version="1.0" encoding="UTF-8" ?>
<feedback><report_metadata><org_name>receiver${i % 7}.example</org_name><email>dmarc@receiver.example</email>
<report_id>${1_000_000 + i}</report_id><date_range><begin>${1796428800 + i * 86400}</begin><end>${1796515199 + i * 86400}</end></date_range></report_metadata>
<policy_published><domain>${DOMAINS[i % 2]}</domain><adkim>r</adkim><aspf>r</aspf><p>quarantine</p><pct>100</pct></policy_published>
${rows}
</feedback>`;
}

const plain = Array.from({ length: REPORTS }, (_, i) => ({
  name: `r${i}.xml`,
  bytes: Buffer.from(report(i)),
}));
const gzipped = plain.map((p) => ({ name: `${p.name}.gz`, bytes: gzipSync(p.bytes) }));

function once(items: typeof plain): number {
  const started = performance.now();
  const { reports, setAside } = collectReports(items, DOMAINS);
  const summaries = summariseReports(reports, ownerDomain(DOMAINS));
  const ms = performance.now() - started;
  if (setAside.length > 0 || summaries.length !== 2 || reports.length !== REPORTS)
    throw new Error(`unexpected result: ${setAside.length} set aside, ${summaries.length} domains`);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
once(gzipped); // warm-up: the parser's first run compiles
const gz: number[] = [];
const xml: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  gz.push(once(gzipped));
  xml.push(once(plain));
}
const kb = (items: typeof plain) =>
  Math.round(items.reduce((n, i) => n + i.bytes.length, 0) / items.length / 1024);
console.log(
  `${REPORTS} aggregate reports, 20 sources each (${kb(gzipped)} kB gzip'd, ${kb(plain)} kB inflated), median of ${ROUNDS}:`,
);
console.log(
  `  gzip'd, as received: ${median(gz).toFixed(0)} ms = ${Math.round((REPORTS / median(gz)) * 1000)} reports/s (goal >= 500)`,
);
console.log(
  `  already inflated:    ${median(xml).toFixed(0)} ms = ${Math.round((REPORTS / median(xml)) * 1000)} reports/s`,
);
console.log(`  decoding's share:    ${(median(gz) / median(xml)).toFixed(2)}x`);
