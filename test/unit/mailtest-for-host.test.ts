// A test mail for a host of mailwright.yaml: where it is submitted, and when its copy can be read back.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mailTestOptions } from '../../src/core/mailtest';
import { testDomain, testHost } from './config-fixture';

const boxes = testDomain({
  name: 'box.test',
  users: ['bob', 'dora'],
  mailboxes: true,
  aliases: { postmaster: ['bob'], dora: ['dora@gmail.com'] },
});
const host = testHost({
  ssh: { user: 'root', host: '198.51.100.2', port: 22 },
  mailHost: 'smtp.box.test',
  domains: [boxes],
});
const test = (to: string, recipientPassword?: string) =>
  mailTestOptions({ host, from: 'bob@box.test', password: 'bob: a long password', to, recipientPassword });

describe('mailTestOptions', () => {
  it("submits to the server's own address under its mail host name", () => {
    const { submission } = test('bob@box.test');
    assert.equal(submission.host, '198.51.100.2');
    assert.equal(submission.servername, 'smtp.box.test');
    assert.equal(submission.port, 465);
    assert.equal(submission.secure, true);
  });

  it("reads the copy back only from the recipient's own mailbox, with a login it has", () => {
    assert.ok(test('bob@box.test').fetchDelivered, 'to yourself: your own login');
    assert.equal(
      test('postmaster@box.test', 'postmaster: a password').fetchDelivered,
      undefined,
      "an alias to bob's mailbox: no postmaster login",
    );
    assert.equal(
      test('dora@box.test', 'dora: a long password').fetchDelivered,
      undefined,
      'dora is forwarded outside',
    );
    assert.equal(test('someone@gmail.com').fetchDelivered, undefined);
  });
});
