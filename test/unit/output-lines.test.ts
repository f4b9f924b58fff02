// An apply run's log lines from a command's streamed output, with the real text of a
// first provisioning (Debian 12's apt installing chasquid, systemd 257 enabling its sockets).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OutputLines } from '../../src/core/plan/output-lines';

function shown(chunks: string[]): string[] {
  const lines: string[] = [];
  const output = new OutputLines((line) => lines.push(line));
  for (const chunk of chunks) output.push(chunk);
  output.end();
  return lines;
}

const progress = ['', ...Array.from({ length: 20 }, (_, i) => `${(i + 1) * 5}%`)]
  .map((p) => `(Reading database ... ${p}`)
  .join('\r');

const DPKG = [
  'Selecting previously unselected package chasquid.\r',
  `${progress}\r(Reading database ... 9345 files and directories currently installed.)\r`,
  'Preparing to unpack .../tmp.nBXGKX6Nns/chasquid.deb ...\r',
  'Unpacking chasquid (1.15.0-1+b4) ...\r',
  'Setting up chasquid (1.15.0-1+b4) ...\r',
  "Created symlink '/etc/systemd/system/multi-user.target.wants/chasquid.service' → '/usr/lib/systemd/system/chasquid.service'.\r\r",
  'debconf: delaying package configuration, since apt-utils is not installed',
  "Created symlink '/etc/systemd/system/chasquid.target.wants/chasquid-smtp.socket' → '/usr/lib/systemd/system/chasquid-smtp.socket'.",
  'Unit /usr/lib/systemd/system/chasquid-smtp.socket is added as a dependency to a non-existent unit chasquid.target.',
  'Unit /lib/systemd/system/chasquid-submission.socket is added as a dependency to a non-existent unit chasquid.target.',
  '',
  'E: Unable to locate package chasquidd',
].join('\n');

describe('apply output lines', () => {
  it("show dpkg's progress as its last state and leave out harmless warnings", () => {
    assert.deepEqual(shown([DPKG]), [
      'Selecting previously unselected package chasquid.',
      '(Reading database ... 9345 files and directories currently installed.)',
      'Preparing to unpack .../tmp.nBXGKX6Nns/chasquid.deb ...',
      'Unpacking chasquid (1.15.0-1+b4) ...',
      'Setting up chasquid (1.15.0-1+b4) ...',
      "Created symlink '/etc/systemd/system/multi-user.target.wants/chasquid.service' → '/usr/lib/systemd/system/chasquid.service'.",
      "Created symlink '/etc/systemd/system/chasquid.target.wants/chasquid-smtp.socket' → '/usr/lib/systemd/system/chasquid-smtp.socket'.",
      '',
      'E: Unable to locate package chasquidd',
    ]);
  });

  it('gives the same lines however the stream is cut', () => {
    const whole = shown([DPKG]);
    for (const size of [1, 7, 64]) {
      const chunks: string[] = [];
      for (let i = 0; i < DPKG.length; i += size) chunks.push(DPKG.slice(i, i + size));
      assert.deepEqual(shown(chunks), whole, `chunks of ${size}`);
    }
  });

  it('shows other control characters instead of passing them to a terminal', () => {
    assert.deepEqual(shown(['\x1b[31mred\x1b[0m\tdone\n']), ['\\x1b[31mred\\x1b[0m\tdone']);
  });

  it('keeps a real failure that mentions a missing unit', () => {
    const failure = 'Failed to enable unit: Unit file chasquid-smtp.socket does not exist.';
    assert.deepEqual(shown([`${failure}\n`]), [failure]);
  });
});
