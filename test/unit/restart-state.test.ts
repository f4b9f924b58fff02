// Whether chasquid needs a restart is read from the files (what it started with vs what is there
// now), and a chasquid.conf chasquid cannot load is reported as such and replaced whole.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChasquidConf } from '../../src/core/chasquid';
import { readAtStart } from '../../src/core/chasquid/paths';
import { desiredConf } from '../../src/core/plan/actions/conf';
import { changedSinceStart, confRefusal, withRunning } from '../../src/core/plan/running';

const MAIL_HOST = 'smtp.example.test';
const CONF = '/etc/chasquid/chasquid.conf';
const CERT = '/etc/chasquid/certs/smtp.example.test/fullchain.pem';
const USERS = '/etc/chasquid/domains/example.test/users';
const ALIASES = '/etc/chasquid/domains/example.test/aliases';
const BROKEN = '# stock comment\nhostname: "smtp.example.test\nmax_data_size_mb: 50\n';

describe('a chasquid.conf that does not load', () => {
  it('is reported with where it breaks, and the proposal is a whole new file that loads', () => {
    const { content, changes } = desiredConf(BROKEN, MAIL_HOST, true, false, '1.15');
    assert.equal(changes.length, 1);
    assert.match(changes[0]!, /chasquid\.conf does not parse: line 2:11: unterminated string/);
    assert.doesNotMatch(changes[0]!, /no hostname/);
    assert.ok(!content.includes('"smtp.example.test\n'), 'the broken line is not carried over');
    assert.deepEqual(ChasquidConf.parse(content).validate({ version: '1.15' }), []);
    assert.equal(ChasquidConf.parse(content).get('hostname'), MAIL_HOST);
    assert.deepEqual(desiredConf(content, MAIL_HOST, true, false, '1.15').changes, [], 'stable');
  });

  it('with mailboxes the new file carries the Dovecot fields too', () => {
    const { content } = desiredConf(BROKEN, MAIL_HOST, true, true, '1.15');
    const conf = ChasquidConf.parse(content);
    assert.equal(conf.get('dovecot_auth'), true);
    assert.deepEqual(conf.validate({ version: '1.15' }), []);
  });

  it('a field chasquid refuses (not a syntax error) is named as such', () => {
    const text = `hostname: "${MAIL_HOST}"\nno_such_field: 1\n`;
    assert.match(
      confRefusal(text) ?? '',
      /^chasquid refuses \/etc\/chasquid\/chasquid\.conf: line 2:1: unknown field/,
    );
    assert.match(desiredConf(text, MAIL_HOST, true).changes[0] ?? '', /chasquid refuses/);
    assert.equal(confRefusal(`hostname: "${MAIL_HOST}"\n`), undefined);
  });
});

describe('what chasquid runs with', () => {
  const started = { [CONF]: 'c1', [CERT]: 'k1', [USERS]: 'u1', [ALIASES]: 'a1' };
  const managed = withRunning({ [CONF]: 'c1', '#running:/etc/chasquid/gone': 'x' }, started);

  it('records only the files chasquid reads at start, replacing the previous record', () => {
    assert.deepEqual(managed, { [CONF]: 'c1', [`#running:${CONF}`]: 'c1', [`#running:${CERT}`]: 'k1' });
    assert.ok(readAtStart(CONF) && readAtStart(CERT));
    assert.ok(!readAtStart(USERS) && !readAtStart(ALIASES));
    assert.ok(!readAtStart('/etc/chasquid/hooks/post-data') && !readAtStart('/etc/dovecot/dovecot.conf'));
  });

  it('a restart is due exactly when such a file differs from what chasquid started with', () => {
    assert.deepEqual(changedSinceStart(managed, started), []);
    assert.deepEqual(changedSinceStart(managed, { ...started, [USERS]: 'u2', [ALIASES]: 'a2' }), []);
    assert.deepEqual(changedSinceStart(managed, { ...started, [CONF]: 'c2' }), [CONF]);
    const withoutCert: Record<string, string> = { ...started };
    delete withoutCert[CERT];
    assert.deepEqual(changedSinceStart(managed, withoutCert), [CERT], 'a file gone counts');
    const key = '/etc/chasquid/domains/example.test/dkim:mw1.pem';
    assert.deepEqual(changedSinceStart(managed, { ...started, [key]: 'd' }), [key], 'a new file counts');
  });

  it('without a record: a restart once Mailwright has written files, none on an untouched server', () => {
    assert.deepEqual(changedSinceStart({ [ALIASES]: 'a1' }, started), [CERT, CONF]);
    assert.deepEqual(changedSinceStart({}, started), []);
  });
});
