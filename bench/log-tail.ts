// Log tail throughput: lines/s through the tail session (line splitting, bounded ring, and the
// full-text render VS Code asks for on each throttled refresh) from a fast in-process producer.
// Measures our side only: not VS Code's document model or rendering.
import { TailSession } from '../src/vscode/logs/tail-session';

const LINES = 500_000;
const CHUNK = 500;
const REFRESH_EVERY_MS = 150;
const line = (i: number) =>
  `2026-11-28T06:56:49+00:00 vps chasquid[603]: q${i} from=alice@example.test to=bob@example.test sent`;

async function main() {
  let renders = 0;
  let lastRender = 0;
  const session = new TailSession(
    async (_command, { onStdout }) => {
      for (let i = 0; i < LINES; i += CHUNK) {
        let chunk = '';
        for (let j = i; j < i + CHUNK; j++) chunk += line(j) + '\n';
        onStdout(chunk);
      }
      session.stop();
    },
    {
      maxLines: 10_000,
      onChange: () => {
        const now = performance.now();
        if (now - lastRender >= REFRESH_EVERY_MS) {
          lastRender = now;
          renders++;
          session.ring.text(); // what provideTextDocumentContent returns
        }
      },
    },
  );
  const start = performance.now();
  session.start();
  await session.done();
  const ms = performance.now() - start;
  const rate = Math.round(session.received / (ms / 1000));
  console.log(
    `log-tail: ${session.received} lines in ${ms.toFixed(0)} ms = ${rate} lines/s (${renders} renders of ${session.ring.size} lines kept); goal >= 20000 lines/s: ${rate >= 20_000 ? 'met' : 'NOT met'}`,
  );
}
void main();
