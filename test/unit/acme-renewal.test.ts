// When the plan asks ACME for a certificate, and the reason it shows.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renewalReason } from '../../src/core/acme/renewal';

const now = new Date('2026-11-28T00:00:00Z');
const base = { mailHost: 'smtp.example.test', currentHash: 'h', managedHash: 'h', renewBeforeDays: 30, now };
const cert = (days: number, cn = 'smtp.example.test') => ({
  notAfter: new Date(now.getTime() + days * 86_400_000 + 1000).toISOString(),
  subject: `CN=${cn}`,
});

describe('renewalReason', () => {
  it('missing, self-signed, other names, expiring, fine', () => {
    assert.match(renewalReason({ ...base })!, /no certificate/);
    assert.match(renewalReason({ ...base, cert: cert(80), managedHash: undefined })!, /self-signed/);
    assert.match(renewalReason({ ...base, cert: cert(80, 'other.test') })!, /for other.test/);
    assert.equal(
      renewalReason({ ...base, cert: cert(12) }),
      'certificate expires in 12 days (renewing 30 days ahead)',
    );
    assert.match(renewalReason({ ...base, cert: cert(-3) })!, /expired 3 days ago/);
    assert.equal(renewalReason({ ...base, cert: cert(80) }), undefined);
  });
});
