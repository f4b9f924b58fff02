// Draws the DNS Records panel from the state: the expected-vs-found table with copy buttons
// and explanations, Check / Export zone file / Publish, and the publish dry run.
import {
  changeLabel,
  noProviderHelp,
  type DnsPanelState,
  type DnsRowView,
  type PublishChangeView,
} from '../../src/panels/dns/messages.js';
import { findingType } from '../../src/core/dns/finding-type.js';
import { needsFix, statusLabel } from '../../src/panels/dns/rows.js';
import { copyButton } from '../common/copy.js';
import { button, fill, h, present } from '../common/dom.js';
import { l10n, t } from '../common/l10n.js';

export interface DnsCommands {
  check(): void;
  copy(text: string, what: string): void;
  exportZone(): void;
  planPublish(): void;
  applyPublish(): void;
  cancelPublish(): void;
}

const BUSY: readonly DnsPanelState['phase'][] = ['loading', 'checking', 'planning', 'publishing'];

export function render(
  app: HTMLElement,
  s: DnsPanelState,
  error: string | undefined,
  cmd: DnsCommands,
): void {
  const busy = BUSY.includes(s.phase);
  app.replaceChildren(
    ...present(
      h('h1', {}, t('DNS Records: {0}', s.domain)),
      h(
        'p',
        { class: 'target' },
        s.provider
          ? t('Mail host {0} · server {1} · published through {2}', s.mailHost, s.hostName, s.provider)
          : t('Mail host {0} · server {1} · no DNS provider: publish by hand', s.mailHost, s.hostName),
      ),
      h(
        'p',
        { id: 'status', 'data-phase': s.phase },
        busy && h('vscode-progress-ring', { class: 'ring' }),
        ...statusLine(s),
      ),
      s.error && h('p', { class: 'error', id: 'error' }, s.error),
      error && h('p', { class: 'error', id: 'request-error' }, error),
      s.message && h('p', { class: 'message', id: 'message' }, s.message),
      ...(s.notices ?? []).map((n) => h('p', { class: 'banner warning notice' }, n)),
      buttons(s, busy, cmd),
      !s.provider && h('p', { class: 'banner', id: 'manual' }, noProviderHelp(s.domain, l10n)),
      s.publish && publishPlan(s, cmd),
      s.rows.length > 0 && table(s.rows, cmd, (s.notices ?? []).length > 0),
    ),
  );
}

/** The summary (in bold), then when it was checked or that it was not. */
function statusLine(s: DnsPanelState): (Node | string)[] {
  const summary = h('strong', { id: 'summary' }, s.summary);
  if (s.checkedAt)
    return fill(
      t('{0} — checked {1} in {2} ms'),
      summary,
      new Date(s.checkedAt).toLocaleString(),
      String(s.durationMs ?? '?'),
    );
  if (s.phase === 'unchecked')
    return fill(t('{0} — not checked yet: these are the records the domain needs'), summary);
  return [summary];
}

function buttons(s: DnsPanelState, busy: boolean, cmd: DnsCommands): HTMLElement {
  return h(
    'div',
    { class: 'buttons' },
    button(s.checkedAt ? t('Check again') : t('Check DNS'), cmd.check, { id: 'check', disabled: busy }),
    button(t('Export zone file'), cmd.exportZone, {
      id: 'export-zone',
      appearance: 'secondary',
      disabled: s.rows.length === 0,
    }),
    // Without a dns: provider there is nothing to publish through (the banner below says how to add
    // one): disabled, with the way out as its tooltip, instead of a click that only explains.
    h(
      'span',
      {
        id: 'publish-wrap',
        title: s.provider
          ? undefined
          : t(
              'Publish needs a DNS provider: add dns: {0} under the domain in mailwright.yaml.',
              '{ provider: … }',
            ),
      },
      button(t('Publish…'), cmd.planPublish, {
        id: 'publish',
        appearance: 'secondary',
        disabled: !s.provider || busy || s.phase === 'planned' || s.rows.length === 0,
      }),
    ),
  );
}

function publishPlan(s: DnsPanelState, cmd: DnsCommands): HTMLElement {
  const changes = s.publish!.changes;
  const writes = changes.filter((c) => c.op !== 'keep');
  return h(
    'section',
    { id: 'publish-plan', 'data-phase': s.phase },
    h(
      'h2',
      {},
      s.phase === 'published'
        ? t('Published')
        : s.provider
          ? t('Publish through {0}: {1} change(s)', s.provider, writes.length)
          : t('Publish through the provider: {0} change(s)', writes.length),
    ),
    writes.length === 0
      ? h('p', {}, t('The provider already serves every record: nothing to change.'))
      : h(
          'table',
          { class: 'changes' },
          h(
            'tr',
            {},
            h('th', {}, t('Change')),
            h('th', {}, t('Type')),
            h('th', {}, t('Name')),
            h('th', {}, t('Values')),
          ),
          ...changes.map(changeRow),
        ),
    s.publish!.notes.length > 0 &&
      h('ul', { class: 'notes' }, ...s.publish!.notes.map((n) => h('li', {}, n))),
    s.phase === 'planned' &&
      h(
        'div',
        { class: 'buttons' },
        button(t('Apply {0} change(s)…', writes.length), cmd.applyPublish, {
          id: 'apply-publish',
          disabled: writes.length === 0,
        }),
        button(t('Cancel'), cmd.cancelPublish, { id: 'cancel-publish', appearance: 'secondary' }),
        h(
          'span',
          { class: 'hint' },
          t('Nothing is written until you confirm; records Mailwright does not manage are never deleted.'),
        ),
      ),
  );
}

function changeRow(c: PublishChangeView): HTMLElement {
  return h(
    'tr',
    { 'data-op': c.op },
    h('td', {}, changeLabel(c.op, l10n)),
    h('td', {}, c.type),
    h('td', {}, h('code', {}, c.name)),
    h(
      'td',
      {},
      c.from.length > 0 && h('div', { class: 'del' }, ...c.from.map((v) => h('code', {}, `− ${v}`))),
      c.to.length > 0 &&
        (c.op === 'keep'
          ? h('div', { class: 'same' }, ...c.to.map((v) => h('code', {}, v)))
          : h('div', { class: 'add' }, ...c.to.map((v) => h('code', {}, `+ ${v}`)))),
    ),
  );
}

/** A long value (a DKIM key) found exactly as expected: printing it twice only adds noise. */
function sameLongValue(r: DnsRowView): boolean {
  return (
    r.expected !== undefined && r.expected.length > 80 && r.found.length === 1 && r.found[0] === r.expected
  );
}

function statusClass(r: DnsRowView): string {
  if (r.status === 'ok') return 'ok';
  if (r.status === 'unchecked') return 'unchecked';
  if (r.status === 'not-checkable') return 'unknown';
  return needsFix(r) === 'error' ? 'error' : 'warning';
}

/** A value with its Copy button; `shown` is what the table shows of it (the text itself if absent). */
function copyable(
  text: string,
  what: string,
  tooltip: string,
  cls: string,
  cmd: DnsCommands,
  shown: Node | string = text,
): HTMLElement {
  return h(
    'div',
    { class: 'copyable' },
    h('code', {}, shown),
    copyButton(text, what, tooltip, cls, cmd.copy),
  );
}

/** A DNS name that wraps only after its dots (never one character per line). */
function dotted(name: string): DocumentFragment {
  const fragment = document.createDocumentFragment();
  name.split(/(?<=\.)/).forEach((label, i) => {
    if (i > 0) fragment.append(document.createElement('wbr'));
    fragment.append(label);
  });
  return fragment;
}

function table(rows: readonly DnsRowView[], cmd: DnsCommands, quiet: boolean): HTMLElement {
  const body: HTMLElement[] = [];
  const labels = { expected: t('Expected'), found: t('Found'), fix: t('Fix') };
  for (const r of rows) {
    body.push(
      h(
        'tr',
        { class: `record st-${statusClass(r)}`, 'data-id': r.id, 'data-status': r.status },
        h(
          'td',
          { class: 'status' },
          h('vscode-tag', { class: `status st-${statusClass(r)}` }, statusLabel(r.status, l10n)),
        ),
        h('td', { class: 'type' }, findingType(r)),
        h(
          'td',
          { class: 'name' },
          copyable(
            r.name,
            t('name {0}', r.name),
            t('Copy the name {0}', r.name),
            'copy-name',
            cmd,
            dotted(r.name),
          ),
        ),
        h(
          'td',
          { class: 'expected', 'data-label': labels.expected },
          r.expected !== undefined
            ? copyable(
                r.expected,
                t('value for {0}', r.name),
                t('Copy the value for {0}', r.name),
                'copy-value',
                cmd,
              )
            : '',
        ),
        h(
          'td',
          { class: 'found', 'data-label': labels.found },
          r.status === 'unchecked'
            ? ''
            : sameLongValue(r)
              ? h('span', { class: 'hint' }, t('same as expected ({0} characters)', r.expected!.length))
              : r.found.length
                ? h('div', {}, ...r.found.map((v) => h('code', {}, v)))
                : t('(none)'),
        ),
        h(
          'td',
          { class: 'fix', 'data-label': labels.fix },
          // When DNS could not be asked at all, the banner above says so once for every row.
          quiet && r.status === 'not-checkable' ? '' : (r.fix ?? ''),
          r.publishedAt === 'reverse'
            ? h('div', { class: 'hint' }, t("Set at the VPS provider's reverse-DNS page."))
            : '',
        ),
      ),
    );
    if (r.notes.length > 0)
      body.push(
        h(
          'tr',
          { class: 'notes', 'data-for': r.id },
          h(
            'td',
            { colspan: '6' },
            h(
              'details',
              { open: needsFix(r) !== undefined },
              h('summary', {}, t('Explanation')),
              h('ul', {}, ...r.notes.map((n) => h('li', {}, n))),
            ),
          ),
        ),
      );
  }
  return h(
    'table',
    { id: 'records' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...[t('Status'), t('Type'), t('Name'), t('Expected'), t('Found'), t('Fix')].map((text) =>
          h('th', {}, text),
        ),
      ),
    ),
    h('tbody', {}, ...body),
  );
}
