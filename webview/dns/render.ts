// Draws the DNS Records panel from the state: the expected-vs-found table with copy buttons
// and explanations, Check / Export zone file / Publish, and the publish dry run.
import {
  noProviderHelp,
  type DnsPanelState,
  type DnsRowView,
  type PublishChangeView,
} from '../../src/vscode/dns/messages.js';
import { needsFix, STATUS_LABEL } from '../../src/vscode/dns/rows.js';
import { button, h, present } from '../common/dom.js';

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
      h('h1', {}, `DNS Records: ${s.domain}`),
      h(
        'p',
        { class: 'target' },
        `Mail host ${s.mailHost} · server ${s.hostName} · `,
        s.provider ? `published through ${s.provider}` : 'no DNS provider: publish by hand',
      ),
      h(
        'p',
        { id: 'status', 'data-phase': s.phase },
        busy && h('vscode-progress-ring', { class: 'ring' }),
        h('strong', { id: 'summary' }, s.summary),
        s.checkedAt
          ? ` — checked ${new Date(s.checkedAt).toLocaleString()} in ${s.durationMs ?? '?'} ms`
          : s.phase === 'unchecked'
            ? ' — not checked yet: these are the records the domain needs'
            : '',
      ),
      s.error && h('p', { class: 'error', id: 'error' }, s.error),
      error && h('p', { class: 'error', id: 'request-error' }, error),
      s.message && h('p', { class: 'message', id: 'message' }, s.message),
      buttons(s, busy, cmd),
      !s.provider && h('p', { class: 'banner', id: 'manual' }, noProviderHelp(s.domain)),
      s.publish && publishPlan(s, cmd),
      s.rows.length > 0 && table(s.rows, cmd),
    ),
  );
}

function buttons(s: DnsPanelState, busy: boolean, cmd: DnsCommands): HTMLElement {
  return h(
    'div',
    { class: 'buttons' },
    button(s.checkedAt ? 'Check again' : 'Check DNS', cmd.check, { id: 'check', disabled: busy }),
    button('Export zone file', cmd.exportZone, {
      id: 'export-zone',
      appearance: 'secondary',
      disabled: s.rows.length === 0,
    }),
    button('Publish…', cmd.planPublish, {
      id: 'publish',
      appearance: 'secondary',
      disabled: busy || s.phase === 'planned' || s.rows.length === 0,
    }),
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
        ? 'Published'
        : `Publish through ${s.provider ?? 'the provider'}: ${writes.length} change(s)`,
    ),
    writes.length === 0
      ? h('p', {}, 'The provider already serves every record: nothing to change.')
      : h(
          'table',
          { class: 'changes' },
          h('tr', {}, h('th', {}, 'Change'), h('th', {}, 'Type'), h('th', {}, 'Name'), h('th', {}, 'Values')),
          ...changes.map(changeRow),
        ),
    s.publish!.notes.length > 0 &&
      h('ul', { class: 'notes' }, ...s.publish!.notes.map((n) => h('li', {}, n))),
    s.phase === 'planned' &&
      h(
        'div',
        { class: 'buttons' },
        button(`Apply ${writes.length} change(s)…`, cmd.applyPublish, {
          id: 'apply-publish',
          disabled: writes.length === 0,
        }),
        button('Cancel', cmd.cancelPublish, { id: 'cancel-publish', appearance: 'secondary' }),
        h(
          'span',
          { class: 'hint' },
          'Nothing is written until you confirm; records Mailwright does not manage are never deleted.',
        ),
      ),
  );
}

function changeRow(c: PublishChangeView): HTMLElement {
  return h(
    'tr',
    { 'data-op': c.op },
    h('td', {}, c.op),
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

function copyable(text: string, what: string, cls: string, cmd: DnsCommands): HTMLElement {
  return h(
    'div',
    { class: 'copyable' },
    h('code', {}, text),
    button('Copy', () => cmd.copy(text, what), {
      class: `copy ${cls}`,
      appearance: 'secondary',
      title: `Copy the ${what}`,
      'aria-label': `Copy the ${what}`,
    }),
  );
}

function table(rows: readonly DnsRowView[], cmd: DnsCommands): HTMLElement {
  const body: HTMLElement[] = [];
  for (const r of rows) {
    body.push(
      h(
        'tr',
        { class: `record st-${statusClass(r)}`, 'data-id': r.id, 'data-status': r.status },
        h('td', {}, h('vscode-tag', { class: `status st-${statusClass(r)}` }, STATUS_LABEL[r.status])),
        h('td', {}, r.type ?? r.kind),
        h('td', { class: 'name' }, copyable(r.name, `name ${r.name}`, 'copy-name', cmd)),
        h(
          'td',
          { class: 'expected' },
          r.expected !== undefined ? copyable(r.expected, `value for ${r.name}`, 'copy-value', cmd) : '',
        ),
        h(
          'td',
          { class: 'found' },
          r.status === 'unchecked'
            ? ''
            : sameLongValue(r)
              ? h('span', { class: 'hint' }, `same as expected (${r.expected!.length} characters)`)
              : r.found.length
                ? h('div', {}, ...r.found.map((v) => h('code', {}, v)))
                : '(none)',
        ),
        h(
          'td',
          { class: 'fix' },
          r.fix ?? '',
          r.publishedAt === 'reverse'
            ? h('div', { class: 'hint' }, "Set at the VPS provider's reverse-DNS page.")
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
              h('summary', {}, 'Explanation'),
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
      h('tr', {}, ...['Status', 'Type', 'Name', 'Expected', 'Found', 'Fix'].map((t) => h('th', {}, t))),
    ),
    h('tbody', {}, ...body),
  );
}
