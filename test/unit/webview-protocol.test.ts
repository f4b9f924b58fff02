// The one webview protocol: the envelope's checks that every panel's messages go through.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dashboardProtocol } from '../../src/panels/dashboard/messages';
import { dnsProtocol } from '../../src/panels/dns/messages';
import { mailReportProtocol } from '../../src/panels/mail-report/messages';
import { isObj, isReply, panelProtocol } from '../../src/panels/protocol';

describe('webview protocol', () => {
  const protocol = panelProtocol<{ n: number }, { type: 'go'; requestId: number; to: string }>({
    viewType: 'test.panel',
    isState: (v): v is { n: number } => isObj(v) && typeof v.n === 'number',
    commands: { go: (m) => typeof m.to === 'string' },
  });

  it('accepts ready and known commands with a requestId and valid fields only', () => {
    assert.ok(protocol.isWebviewMessage({ type: 'ready' }));
    assert.ok(protocol.isWebviewMessage({ type: 'go', requestId: 1, to: 'x' }));
    assert.equal(protocol.isWebviewMessage({ type: 'go', to: 'x' }), false, 'no requestId');
    assert.equal(protocol.isWebviewMessage({ type: 'go', requestId: 1.5, to: 'x' }), false);
    assert.equal(protocol.isWebviewMessage({ type: 'go', requestId: 1, to: 7 }), false);
    assert.equal(protocol.isWebviewMessage({ type: 'stop', requestId: 1 }), false);
    // Not a command, though every object has it.
    assert.equal(protocol.isWebviewMessage({ type: 'constructor', requestId: 1 }), false);
    assert.equal(protocol.isWebviewMessage({ type: 'toString', requestId: 1 }), false);
    assert.equal(protocol.isWebviewMessage([{ type: 'ready' }]), false);
    assert.equal(protocol.isWebviewMessage(null), false);
  });

  it("checks the host's messages: the panel's state, or a reply", () => {
    assert.ok(protocol.isHostMessage({ type: 'state', state: { n: 1 } }));
    assert.equal(protocol.isHostMessage({ type: 'state', state: { n: '1' } }), false);
    assert.ok(protocol.isHostMessage({ type: 'reply', requestId: 2, ok: false, error: 'no' }));
    assert.equal(protocol.isHostMessage({ type: 'reply', requestId: 2, ok: 'yes' }), false);
    assert.equal(isReply({ type: 'reply', requestId: 2, ok: true, error: 3 }), false);
  });

  it('every panel speaks it, under its own view type', () => {
    const types = [dashboardProtocol, dnsProtocol, mailReportProtocol].map((p) => p.viewType);
    assert.deepEqual(types, ['mailwright.dashboard', 'mailwright.dnsRecords', 'mailwright.mailReport']);
    for (const p of [dashboardProtocol, dnsProtocol, mailReportProtocol]) {
      assert.ok(p.isWebviewMessage({ type: 'ready' }));
      assert.ok(p.isHostMessage({ type: 'reply', requestId: 1, ok: true }));
      assert.equal(p.isWebviewMessage({ type: 'exec', requestId: 1, command: 'rm -rf /' }), false);
    }
  });
});
