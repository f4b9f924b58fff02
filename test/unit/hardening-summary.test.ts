// The one hardening line of `npm test`: counts summed over every suite's file, only from cases that ran.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';

const SCRIPT = resolve(__dirname, '../../scripts/hardening-summary.mjs');
const summary = (dir: string) => execFileSync(process.execPath, [SCRIPT, dir], { encoding: 'utf8' }).trim();

describe('hardening summary line', () => {
  it('sums every file per kind, whatever subset of kinds each file has', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-hardening-'));
    writeFileSync(join(dir, 'faults.json'), JSON.stringify({ faults: { tried: 14, survived: 13 } }));
    writeFileSync(join(dir, 'inputs-unit.json'), JSON.stringify({ inputs: { tried: 40, handled: 40 } }));
    writeFileSync(
      join(dir, 'inputs.json'),
      JSON.stringify({ inputs: { tried: 12, handled: 11 }, secrets: { probes: 3, clean: 3 } }),
    );
    writeFileSync(join(dir, 'secrets.json'), JSON.stringify({ secrets: { probes: 8, clean: 7 } }));
    assert.equal(
      summary(dir),
      'hardening: faults 13/14 survived · inputs 51/52 handled · secret probes 10/11 clean',
    );
  });

  it('names the kinds no suite reported as not run, and an empty or missing folder as nothing run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-hardening-'));
    writeFileSync(join(dir, 'inputs.json'), JSON.stringify({ inputs: { tried: 3, handled: 3 } }));
    assert.equal(
      summary(dir),
      'hardening: faults: did not run · inputs 3/3 handled · secret probes: did not run',
    );
    assert.equal(
      summary(join(dir, 'missing')),
      'hardening: faults: did not run · inputs: did not run · secret probes: did not run',
    );
  });
});
