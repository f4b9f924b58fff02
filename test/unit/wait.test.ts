import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFacts } from '../../src/core/facts/parse';
import { keyed, TEST_KEY } from './facts-report';
import { gatherWhenReady, NotReadyError } from '../../src/core/plan/wait';
import { CancelledError } from '../../src/core/remote/errors';

const installing = parseFacts(
  keyed('@@mw:markers\ntinycore\n@@mw:banner\nWelcome to TinyCore 13!\n'),
  TEST_KEY,
  1,
);
const ready = parseFacts(keyed('@@mw:os-release\nID=debian\nVERSION_ID="13"\n'), TEST_KEY, 1);

describe('waiting out an installing OS', () => {
  it('retries with growing pauses until the real OS answers', async () => {
    const answers = [installing, installing, installing, ready];
    const pauses: number[] = [];
    const facts = await gatherWhenReady(async () => answers.shift()!, {
      initialDelayMs: 10,
      maxDelayMs: 30,
      sleep: async (ms) => void pauses.push(ms),
    });
    assert.equal(facts.os.id, 'debian');
    assert.deepEqual(pauses, [10, 20, 30]);
  });

  it('gives up after the bound with the reason', async () => {
    await assert.rejects(
      gatherWhenReady(async () => installing, {
        initialDelayMs: 5,
        maxWaitMs: 20,
        sleep: async (ms) => new Promise((r) => setTimeout(r, ms)),
      }),
      (e: Error) => e instanceof NotReadyError && /TinyCore/.test(e.message),
    );
  });

  it('stops at once when cancelled', async () => {
    const abort = new AbortController();
    const waiting = gatherWhenReady(async () => installing, { initialDelayMs: 60_000, signal: abort.signal });
    setTimeout(() => abort.abort(), 20);
    await assert.rejects(waiting, CancelledError);
  });
});
