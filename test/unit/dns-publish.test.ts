import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { testDomain, testHost } from './config-fixture';
import { expectedRecords } from '../../src/core/dns/expected';
import type { ExpectedRecord } from '../../src/core/dns/model';
import type { DnsProvider, DnsRecord, RecordType } from '../../src/core/dns/providers/types';
import { applyPublish, formatPublishPlan, planPublish, type PublishChange } from '../../src/core/dns/publish';

/** A provider holding records in memory, with the interface's one-value-at-a-time semantics. */
class MemoryProvider implements DnsProvider {
  readonly kind = 'memory';
  readonly calls: string[] = [];
  constructor(public records: DnsRecord[] = []) {}
  list(name: string, type?: RecordType): Promise<DnsRecord[]> {
    return Promise.resolve(
      this.records.filter((r) => r.name === name && (!type || r.type === type)).map((r) => ({ ...r })),
    );
  }
  create(record: DnsRecord): Promise<void> {
    this.calls.push(`create ${record.type} ${record.name} ${record.value}`);
    this.records.push({ ...record });
    return Promise.resolve();
  }
  update(previous: DnsRecord, next: DnsRecord): Promise<void> {
    this.calls.push(`update ${previous.type} ${previous.name} ${previous.value} -> ${next.value}`);
    const index = this.records.findIndex(
      (r) => r.name === previous.name && r.type === previous.type && r.value === previous.value,
    );
    if (index < 0) return Promise.reject(new Error(`no such value: ${previous.value}`));
    this.records[index] = { ...next };
    return Promise.resolve();
  }
  delete(record: DnsRecord): Promise<void> {
    this.calls.push(`delete ${record.type} ${record.name} ${record.value}`);
    return Promise.reject(new Error('publish must never delete'));
  }
}

const host = testHost();
const domain = testDomain({
  dns: { provider: 'manual', algorithm: 'hmac-sha256', zone: 'example.com', ttl: 300 },
});
const expected = expectedRecords({
  host,
  domain,
  addresses: { ipv4: ['198.51.100.7'], ipv6: ['fd00:5eed::7'] },
  dkimKeys: [{ selector: 'mw1', keyType: 'rsa', publicKey: 'MIIBIjANBgkq' + 'A'.repeat(380) }],
});
const byId = (id: string): ExpectedRecord => {
  const record = expected.find((r) => r.id === id);
  assert.ok(record, id);
  return record;
};
const summary = (changes: PublishChange[]) => Object.fromEntries(changes.map((c) => [c.record.id, c.action]));

describe('planPublish', () => {
  it('on an empty zone creates every zone record and skips PTR with where to set it', async () => {
    const changes = await planPublish(expected, new MemoryProvider());
    assert.equal(changes.length, expected.length);
    for (const change of changes) {
      if (change.record.kind === 'ptr') {
        assert.equal(change.action, 'skip');
        assert.match(change.reason, /VPS provider's reverse DNS page/);
      } else assert.equal(change.action, 'create', change.record.id);
    }
  });

  it('keeps identical values (names and addresses compared as DNS does), updates the slot, creates the rest', async () => {
    const spf = byId('spf');
    const provider = new MemoryProvider([
      { name: 'example.com', type: 'TXT', value: 'google-site-verification=abc' },
      { name: 'example.com', type: 'TXT', value: 'v=spf1 mx -all' },
      { name: 'example.com', type: 'MX', value: '10 SMTP.example.com.' },
      { name: 'example.com', type: 'MX', value: '20 backup.example.net' },
      { name: 'smtp.example.com', type: 'AAAA', value: 'fd00:5eed:0:0:0:0:0:7' },
      { name: 'smtp.example.com', type: 'A', value: '203.0.113.1' },
      { name: '_dmarc.example.com', type: 'TXT', value: 'v=DMARC1; p=none' },
      { name: 'example.com', type: 'CAA', value: '0 issue "digicert.com"' },
    ]);
    const changes = await planPublish(expected, provider);
    const actions = summary(changes);
    assert.equal(actions.mx, 'keep');
    assert.equal(actions['aaaa:fd00:5eed::7'], 'keep');
    assert.equal(actions['a:198.51.100.7'], 'update');
    assert.equal(actions.spf, 'update');
    assert.equal(actions.dmarc, 'update');
    assert.equal(actions['spf-include'], 'create');
    assert.equal(actions.caa, 'create', "another CA's issue value is not our slot");
    const spfChange = changes.find((c) => c.record.id === 'spf');
    assert.deepEqual(spfChange?.previous, { name: 'example.com', type: 'TXT', value: 'v=spf1 mx -all' });
    assert.match(
      spfChange?.notes?.join('\n') ?? '',
      /"google-site-verification=abc" at example\.com is not managed by Mailwright/,
    );
    const mxChange = changes.find((c) => c.record.id === 'mx');
    assert.match(mxChange?.notes?.join('\n') ?? '', /20 backup\.example\.net at example\.com is not managed/);
    assert.notEqual(spf.value, 'v=spf1 mx -all');

    await applyPublish(changes, provider);
    assert.ok(!provider.calls.some((call) => call.startsWith('delete')), provider.calls.join('\n'));
    const values = provider.records.map((r) => `${r.name} ${r.type} ${r.value}`);
    for (const kept of [
      'example.com TXT google-site-verification=abc',
      'example.com MX 20 backup.example.net',
      'example.com CAA 0 issue "digicert.com"',
    ])
      assert.ok(values.includes(kept), `foreign value kept: ${kept}`);
    assert.ok(values.includes(`example.com TXT ${spf.value}`));
    assert.ok(!values.includes('example.com TXT v=spf1 mx -all'), 'the SPF slot was updated in place');
    const again = await planPublish(expected, provider);
    assert.deepEqual(
      again.filter((c) => c.action !== 'keep' && c.action !== 'skip').map((c) => c.record.id),
      [],
      'a second plan changes nothing',
    );
  });

  it('two SPF records: updates one and says plainly the other must be deleted by hand', async () => {
    const provider = new MemoryProvider([
      { name: 'example.com', type: 'TXT', value: 'v=spf1 a -all' },
      { name: 'example.com', type: 'TXT', value: 'v=spf1 mx -all' },
    ]);
    const change = (await planPublish(expected, provider)).find((c) => c.record.id === 'spf');
    assert.equal(change?.action, 'update');
    assert.equal(change?.previous?.value, 'v=spf1 a -all');
    assert.match(change?.reason ?? '', /another SPF record "v=spf1 mx -all" stays.*delete it by hand/);
    assert.match(change?.notes?.join('\n') ?? '', /delete it by hand/);
    const keep = new MemoryProvider([
      { name: 'example.com', type: 'TXT', value: byId('spf').value },
      { name: 'example.com', type: 'TXT', value: 'v=spf1 mx -all' },
    ]);
    const kept = (await planPublish(expected, keep)).find((c) => c.record.id === 'spf');
    assert.equal(kept?.action, 'keep');
    assert.match(kept?.reason ?? '', /delete it by hand/);
  });

  it('a CAA for the same CA with parameters is kept; DKIM replaces an old key at the selector', async () => {
    const provider = new MemoryProvider([
      { name: 'example.com', type: 'CAA', value: '0 issue "letsencrypt.org; validationmethods=dns-01"' },
      { name: 'mw1._domainkey.example.com', type: 'TXT', value: 'v=DKIM1; k=rsa; p=OLD' },
    ]);
    const actions = summary(await planPublish(expected, provider));
    assert.equal(actions.caa, 'keep');
    assert.equal(actions['dkim:mw1'], 'update');
  });

  it('two expected addresses and one stale value: one update, one create', async () => {
    const two = expectedRecords({
      host,
      domain,
      addresses: { ipv4: ['198.51.100.7', '198.51.100.8'], ipv6: [] },
      dkimKeys: [],
    });
    const provider = new MemoryProvider([{ name: 'smtp.example.com', type: 'A', value: '203.0.113.1' }]);
    const actions = summary(await planPublish(two, provider));
    assert.equal(actions['a:198.51.100.7'], 'update');
    assert.equal(actions['a:198.51.100.8'], 'create');
  });
});

describe('applyPublish and formatPublishPlan', () => {
  it('writes only creates and updates, reports each, and stops at a failure naming the record', async () => {
    const provider = new MemoryProvider([
      { name: '_dmarc.example.com', type: 'TXT', value: 'v=DMARC1; p=none' },
    ]);
    const changes = await planPublish(expected, provider);
    const seen: string[] = [];
    const result = await applyPublish(changes, provider, {
      onChange: (c, outcome) => seen.push(`${c.record.id} ${outcome}`),
    });
    assert.equal(
      result.applied.length,
      changes.filter((c) => c.action === 'create' || c.action === 'update').length,
    );
    assert.equal(result.unchanged.length, 2, 'the two PTR records');
    assert.ok(seen.includes('dmarc done') && seen.includes('ptr:198.51.100.7 unchanged'));

    const failing = new MemoryProvider();
    failing.create = (record) =>
      record.type === 'MX'
        ? Promise.reject(new Error('zone is read-only'))
        : MemoryProvider.prototype.create.call(failing, record);
    const plan = await planPublish(expected, failing);
    await assert.rejects(
      applyPublish(plan, failing),
      /Could not create MX example\.com 10 smtp\.example\.com: zone is read-only\n\d+ earlier change/,
    );
  });

  it('the dry run shows the exact values, both sides of an update, and the notes', async () => {
    const provider = new MemoryProvider([
      { name: '_dmarc.example.com', type: 'TXT', value: 'v=DMARC1; p=none' },
      { name: 'example.com', type: 'MX', value: '20 backup.example.net' },
    ]);
    const text = formatPublishPlan(await planPublish(expected, provider));
    assert.match(
      text,
      /~ update TXT\s+_dmarc\.example\.com\n\s+from "v=DMARC1; p=none"\n\s+to\s+"v=DMARC1; p=quarantine; fo=1;/,
    );
    assert.match(text, /\+ create MX\s+example\.com\s+10 smtp\.example\.com/);
    assert.match(text, /note: 20 backup\.example\.net at example\.com is not managed by Mailwright/);
    assert.match(text, /- skip\s+PTR\s+7\.100\.51\.198\.in-addr\.arpa\s+smtp\.example\.com/);
    assert.match(text, /Nothing is ever deleted\./);
  });
});
