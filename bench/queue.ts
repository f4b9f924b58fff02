// The queue listing (goal: <= 0.5 s), in process on a sandbox VPS over one open SSH connection:
// the same readQueue the CLI and the tree use, on queue folders made on the server from a file
// chasquid wrote (test/unit/fixtures/queue), with N messages of a given size and chasquid's mail
// log holding a line per attempt for each. The folders are the bench's own, beside chasquid's.
// Not a test.
//   npm run bench -- queue     or     MAILWRIGHT_SANDBOX_13=instance.json npx tsx bench/queue.ts
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readQueue } from '../src/core/queue';
import { shellScript } from '../src/core/remote';
import { connect, type SandboxInstance } from '../test/integration/sandbox-instances';

const ROUNDS = Number(process.env.ROUNDS ?? 7);
const GOAL_MS = 500;
const FIXTURE = readFileSync(
  join(__dirname, '../test/unit/fixtures/queue/chasquid-1.15-LdmLpoXHcSY.txt'),
  'utf8',
);
/** Every field of the fixture but its data, which the bench makes as large as asked. */
const HEAD = FIXTURE.split('\n')
  .filter((l) => !l.startsWith('data:'))
  .join('\n');

/** $1 folder, $2 messages, $3 data bytes, $4 attempts logged per message; stdin: the file without data. */
const MAKE = `set -eu
rm -rf "$1"; mkdir -p "$1"; head=$(cat)
i=0
while [ "$i" -lt "$2" ]; do
  id=$(printf 'bench%06d' "$i")
  { printf '%s\\n' "$head" | sed "s/LdmLpoXHcSY/$id/"
    awk -v n="$3" 'BEGIN { printf "data:  \\""; for (j = 0; j < n; j += 64) printf "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed\\\\tdo\\\\n"; print "\\"" }'
  } > "$1/m:$id"
  a=0
  while [ "$a" -lt "$4" ]; do
    logger -t chasquid "$id from=alice@example.test to=bob@receiver.test failed (temporary): all MXs returned transient failures"
    a=$((a + 1))
  done
  logger -t chasquid "$id from=alice@example.test completed loop, next in 19m30s"
  i=$((i + 1))
done
`;

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

async function main(): Promise<void> {
  const path = process.env.MAILWRIGHT_SANDBOX_13;
  if (!path) throw new Error('Set MAILWRIGHT_SANDBOX_13 to a sandbox instance.json (scripts/bench does).');
  const instance = JSON.parse(readFileSync(path, 'utf8')) as SandboxInstance;
  const conn = connect(instance);
  const t0 = performance.now();
  await conn.connect();
  console.log(
    `queue listing on the ${instance.suite} sandbox, ${ROUNDS} rounds each (connect: ${(performance.now() - t0).toFixed(0)} ms)`,
  );
  const cases: [number, number, number][] = [
    [0, 0, 0],
    [10, 20_000, 3],
    [100, 100_000, 10],
    [200, 1_000_000, 10],
  ];
  // What any round trip costs here (the machine's load shows in it): one root command doing nothing.
  const base: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t = performance.now();
    await conn.exec(shellScript('true'), { sudo: true });
    base.push(performance.now() - t);
  }
  console.log(`  a round trip running \`true\`: median ${median(base).toFixed(0)} ms`);
  const dir = '/var/tmp/mailwright-bench-queue';
  let worst = 0;
  try {
    for (const [n, bytes, attempts] of cases) {
      await conn.exec(shellScript(MAKE, [dir, String(n), String(bytes), String(attempts)]), {
        sudo: true,
        stdin: HEAD,
        timeoutMs: 600_000,
      });
      const ms: number[] = [];
      let found = 0;
      for (let i = 0; i < ROUNDS; i++) {
        const t = performance.now();
        const listing = await readQueue(conn, { dir });
        ms.push(performance.now() - t);
        found = listing.items.length;
        if (n > 0 && listing.items[0]!.attempts === null)
          throw new Error('the mail log lines were not found');
      }
      const m = median(ms);
      worst = Math.max(worst, m);
      console.log(
        `  ${String(n).padStart(3)} messages of ${String(bytes / 1000).padStart(5)} KB, ${attempts} attempts logged each: ` +
          `median ${m.toFixed(0)} ms, min ${Math.min(...ms).toFixed(0)} ms, max ${Math.max(...ms).toFixed(0)} ms (${found} listed)`,
      );
    }
  } finally {
    await conn.exec(shellScript('rm -rf "$1"', [dir]), { sudo: true, check: false });
    conn.close();
  }
  console.log(
    `  goal: <= ${GOAL_MS} ms for a listing: ${worst <= GOAL_MS ? 'met' : `not met (worst median ${worst.toFixed(0)} ms)`}`,
  );
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
