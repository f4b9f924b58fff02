import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EnvSecretStore, envNamesFor, secretKeys } from '../../src/core/remote/secrets';

describe('CLI secrets from the environment', () => {
  it('prefers the per-host variable over the generic one', async () => {
    const store = new EnvSecretStore({
      MAILWRIGHT_SUDO_PASSWORD: 'generic',
      MAILWRIGHT_SUDO_PASSWORD_MY_VPS: 'specific',
    });
    assert.equal(await store.get(secretKeys.sudoPassword('my-vps')), 'specific');
    assert.equal(await store.get(secretKeys.sudoPassword('other')), 'generic');
    assert.equal(await store.get(secretKeys.sshPassword('other')), undefined);
  });
  it('never shares one mail-user password variable between users', () => {
    assert.deepEqual(envNamesFor(secretKeys.userPassword('alice@example.test')), [
      'MAILWRIGHT_USER_PASSWORD_ALICE_EXAMPLE_TEST',
    ]);
  });
  it('names the variables a user can set', () => {
    assert.deepEqual(envNamesFor(secretKeys.keyPassphrase('sandbox')), [
      'MAILWRIGHT_KEY_PASSPHRASE_SANDBOX',
      'MAILWRIGHT_KEY_PASSPHRASE',
    ]);
  });
});
