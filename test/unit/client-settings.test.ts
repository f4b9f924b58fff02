// What a mail program is told for a user, and where that user's mail goes, from the mail routes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientSettings, deliveryOf, gmailSendAsGuide, settingsLines } from '../../src/core/client-settings';
import { testDomain, testHost } from './config-fixture';

const boxes = testDomain({
  name: 'box.test',
  users: ['bob'],
  mailboxes: true,
  aliases: { postmaster: ['bob'] },
});
const fwd = testDomain({
  name: 'fwd.test',
  users: ['alice', 'carol'],
  aliases: { alice: ['alice@gmail.com'] },
});
const host = testHost({ mailHost: 'smtp.box.test', domains: [boxes, fwd] });

describe('client settings', () => {
  it('say where mail goes: a mailbox, a forward, lost (with the fix), or refused', () => {
    assert.equal(deliveryOf(host, 'bob@box.test').kind, 'mailbox');
    assert.equal(
      deliveryOf(host, 'postmaster@box.test').text,
      'Mail to postmaster@box.test is stored in the mailbox of bob@box.test on smtp.box.test.',
    );
    assert.deepEqual(deliveryOf(host, 'alice@fwd.test'), {
      kind: 'forwarded',
      forwardedTo: ['alice@gmail.com'],
      text: 'Mail to alice@fwd.test is forwarded to alice@gmail.com.',
    });
    const lost = deliveryOf(host, 'carol@fwd.test');
    assert.equal(lost.kind, 'lost');
    assert.match(lost.text, /accepted and then lost: fwd\.test has no mailboxes\. Fix: turn mailboxes on/);
    assert.equal(deliveryOf(host, 'nobody@box.test').kind, 'refused');
  });

  it('give IMAP only to a domain with mailboxes, SMTP on 465 and 587 always, the full address as user name', () => {
    const bob = clientSettings(host, boxes, 'bob');
    assert.deepEqual(bob.imap, { host: 'smtp.box.test', port: 993, security: 'SSL/TLS' });
    assert.deepEqual(bob.smtp, { host: 'smtp.box.test', port: 465, security: 'SSL/TLS' });
    assert.equal(bob.smtpAlternative.port, 587);
    assert.equal(bob.username, 'bob@box.test');
    assert.equal(clientSettings(host, fwd, 'alice').imap, undefined);
    assert.deepEqual(settingsLines(bob).slice(0, 2), [
      'Incoming (IMAP): smtp.box.test, port 993, SSL/TLS',
      'Outgoing (SMTP): smtp.box.test, port 465, SSL/TLS (or port 587, STARTTLS)',
    ]);
  });

  it("fill Gmail's Send mail as steps, and warn when the confirmation code would be lost", () => {
    const guide = gmailSendAsGuide(clientSettings(host, fwd, 'alice'));
    assert.match(guide, /SMTP Server: `smtp\.box\.test` — Port: `465`/);
    assert.match(guide, /Username: `alice@fwd\.test`/);
    assert.match(guide, /forwarded to alice@gmail\.com\. So it arrives in that inbox/);
    assert.match(gmailSendAsGuide(clientSettings(host, fwd, 'carol')), /confirmation code would not arrive/);
    assert.match(gmailSendAsGuide(clientSettings(host, boxes, 'bob')), /IMAP smtp\.box\.test, port 993/);
  });
});
