// How failures read: a failed remote script is named by its arguments (never its text), apt's
// download failures are picked out of its output, and chasquid's own complaint is found in its
// journal when it does not start.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { aptFetchFailures } from '../../src/core/plan/actions/install';
import { startFailureCause } from '../../src/core/plan/actions/service';
import { CommandError, commandSummary } from '../../src/core/remote/errors';
import { shellCommand, shellScript } from '../../src/core/remote/quote';

describe('commandSummary', () => {
  it('names a script by its arguments, read back exactly as they were quoted', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string().filter((s) => !s.includes('\0') && !/\s/.test(s) && s !== '')),
        (args) => {
          const summary = commandSummary(shellScript('set -eu\nt=$1\necho "$t"', args));
          assert.equal(summary.startsWith('a Mailwright script'), true);
          assert.doesNotMatch(summary, /set -eu/);
          const shown = `a Mailwright script (arguments: ${args.join(' ') || 'none'})`;
          assert.equal(summary, shown.length > 160 ? `${shown.slice(0, 159)}…` : shown);
        },
      ),
    );
  });

  it('shows a plain command on one line, shortened', () => {
    assert.equal(
      commandSummary(shellCommand(['systemctl', 'restart', 'chasquid'])),
      'systemctl restart chasquid',
    );
    const long = commandSummary(shellCommand(['echo', 'x'.repeat(500)]));
    assert.equal(long.length, 160);
    assert.ok(long.endsWith('…'));
  });

  it('keeps a failed script out of the error message, and its error output in it', () => {
    const e = new CommandError(
      shellScript('set -eu\ncp -- "$1" "$2"', ['/tmp/a', '/etc/chasquid/b']),
      1,
      "cp: error writing '/etc/chasquid/b': No space left on device\n",
    );
    assert.equal(
      e.message,
      "Remote command failed (exit 1): a Mailwright script (arguments: /tmp/a /etc/chasquid/b)\ncp: error writing '/etc/chasquid/b': No space left on device",
    );
  });
});

describe('aptFetchFailures', () => {
  it('finds what apt could not download, warnings of update and errors of install alike', () => {
    const update = `Ign:1 http://deb.debian.org/debian trixie InRelease
Err:1 http://deb.debian.org/debian trixie InRelease
  Could not connect to deb.debian.org:80 (198.51.100.9). - connect (111: Connection refused)
Reading package lists...
W: Failed to fetch http://deb.debian.org/debian/dists/trixie/InRelease  Unable to connect to deb.debian.org:http:
W: Some index files failed to download. They have been ignored, or old ones used instead.`;
    assert.deepEqual(aptFetchFailures(update), [
      'W: Failed to fetch http://deb.debian.org/debian/dists/trixie/InRelease Unable to connect to deb.debian.org:http:',
    ]);
    const install = `E: Failed to fetch http://deb.debian.org/debian/pool/main/c/chasquid/chasquid_1.15.0-1_amd64.deb  Unable to connect to deb.debian.org:http:
E: Unable to fetch some archives, maybe run apt-get update or try with --fix-missing?`;
    assert.equal(aptFetchFailures(install).length, 2);
    assert.deepEqual(aptFetchFailures('Setting up chasquid (1.15.0-1) ...\n'), []);
  });
});

describe('startFailureCause', () => {
  it("quotes chasquid's own last complaint, without timestamps or systemd's lines", () => {
    const journal = `2026-12-06T23:30:01+00:00 vps chasquid[812]: 2026/12/06 23:30:01 chasquid starting (version 1.15.0)
2026-12-06T23:30:01+00:00 vps chasquid[812]: 2026/12/06 23:30:01 Loading certificates:
2026-12-06T23:30:01+00:00 vps chasquid[812]: 2026/12/06 23:30:01 Error loading DKIM key: open /etc/chasquid/domains/x.test/dkim:a.pem: permission denied
2026-12-06T23:30:01+00:00 vps chasquid[812]: 2026/12/06 23:30:01 Exiting
2026-12-06T23:30:01+00:00 vps systemd[1]: chasquid.service: Main process exited, code=exited, status=1/FAILURE
2026-12-06T23:30:01+00:00 vps systemd[1]: chasquid.service: Failed with result 'exit-code'.`;
    assert.equal(
      startFailureCause(journal),
      'Error loading DKIM key: open /etc/chasquid/domains/x.test/dkim:a.pem: permission denied',
    );
  });

  it('is undefined when chasquid said nothing, and neutralises control characters', () => {
    assert.equal(
      startFailureCause('2026-12-06T23:30:01+00:00 vps systemd[1]: chasquid.service: Failed.'),
      undefined,
    );
    const cause =
      startFailureCause('2026-12-06T23:30:01+00:00 vps chasquid[1]: bad \x1b[31mred\x1b[0m error') ?? '';
    assert.ok(!cause.includes('\x1b'), cause);
  });
});
