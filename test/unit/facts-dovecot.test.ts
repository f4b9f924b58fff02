// Dovecot's facts from the one-round-trip script's output: packages, service, mail store,
// dovecot.conf and the user names of the mailbox users file (never its hashes).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFacts } from '../../src/core/facts';
import { factsScript } from '../../src/core/facts/script';
import { keyed, TEST_KEY } from './facts-report';

const sections = (parts: Record<string, string>) =>
  keyed(
    Object.entries(parts)
      .map(([name, text]) => `\n@@mw:${name}\n${text}`)
      .join(''),
  );

describe('Dovecot facts', () => {
  it('reads packages, service, store, conf and user names', () => {
    const facts = parseFacts(
      sections({
        'dovecot-pkg': [
          'install ok installed|dovecot-core|1:2.4.1+dfsg1-6+deb13u7',
          'install ok installed|dovecot-imapd|1:2.4.1+dfsg1-6+deb13u7',
          'install ok installed|dovecot-lmtpd|1:2.4.1+dfsg1-6+deb13u7',
        ].join('\n'),
        'dovecot-service': 'active\nenabled\n',
        'mail-store': 'vmail:999\nvmail:vmail 750\n',
        sudo: 'root\n',
        'conf-files': 'abc  /etc/dovecot/dovecot.conf\n',
        'dovecot-conf': 'protocols = imap lmtp\n',
        'dovecot-users': 'alice@example.test\nbob@example.test\n',
        end: '',
      }),
      TEST_KEY,
      5,
    );
    assert.deepEqual(facts.dovecot, {
      installed: true,
      version: '1:2.4.1+dfsg1-6+deb13u7',
      active: 'active',
      enabled: 'enabled',
      storeUser: 'vmail:999',
      storeDir: 'vmail:vmail 750',
      conf: 'protocols = imap lmtp\n',
      users: ['alice@example.test', 'bob@example.test'],
    });
  });

  it('dovecot-core alone, or removed packages, is not an installed Dovecot', () => {
    const facts = parseFacts(
      sections({
        'dovecot-pkg':
          'install ok installed|dovecot-core|1:2.3.19\ndeinstall ok config-files|dovecot-imapd|1:2.3.19\n',
        'dovecot-service': 'inactive\ndisabled\n',
        end: '',
      }),
      TEST_KEY,
      5,
    );
    assert.equal(facts.dovecot.installed, false);
    assert.equal(facts.dovecot.users, undefined, 'no root access: unknown, not empty');
    assert.equal(facts.dovecot.conf, undefined);
  });

  it('the script reads only the names of the users file', () => {
    const script = factsScript();
    assert.match(script, /cut -d: -f1 \/etc\/dovecot\/mailwright-users/);
    assert.doesNotMatch(script, /cat \/etc\/dovecot\/mailwright-users/);
  });
});
