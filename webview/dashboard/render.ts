// Draws the whole dashboard from the state. Redrawn on every state (at most ~10 per second);
// output blocks are scrolled to their end so live output follows.
import type {
  ActionView,
  DriftDecision,
  SavedWebviewState,
  SummaryView,
} from '../../src/vscode/dashboard/messages.js';
import { button, h, present } from '../common/dom.js';

export interface Commands {
  apply(): void;
  cancel(): void;
  replan(): void;
  rerun(from: string): void;
  decide(path: string, decision: DriftDecision): void;
}

const STATUS_LABEL: Record<ActionView['status'], string> = {
  pending: 'pending',
  running: 'running',
  done: 'done',
  failed: 'failed',
  skipped: 'skipped',
};

export function render(
  app: HTMLElement,
  view: SavedWebviewState,
  error: string | undefined,
  cmd: Commands,
): void {
  const s = view.state;
  const busy = s.phase === 'gathering' || s.phase === 'applying';
  app.replaceChildren(
    ...present(
      h('h1', {}, `Provision ${s.hostName}`),
      h('p', { class: 'target' }, s.target, s.os ? ` · ${s.os}` : ''),
      h(
        'p',
        { id: 'progress', 'data-phase': s.phase },
        busy && h('vscode-progress-ring', { class: 'ring' }),
        s.progress ?? '',
      ),
      s.fraction !== undefined && h('progress', { max: '1', value: String(s.fraction) }),
      s.phase === 'interrupted' &&
        h(
          'p',
          { class: 'banner' },
          'VS Code was reloaded. This is the last state the dashboard saw; a run cannot survive a reload, ' +
            'so nothing is running now. Plan again to see what is left to do.',
        ),
      s.error && h('p', { class: 'error', id: 'error' }, s.error),
      error && h('p', { class: 'error', id: 'request-error' }, error),
      s.actions.length > 0 && h('ol', { id: 'actions' }, ...s.actions.map((a) => actionItem(a, view, cmd))),
      s.phase === 'planned' &&
        s.actions.length === 0 &&
        h('p', {}, 'The server already matches mailwright.yaml: nothing to do.'),
      s.notes.length > 0 &&
        h(
          'section',
          { id: 'notes' },
          h('h2', {}, 'Notes'),
          h('ul', {}, ...s.notes.map((n) => h('li', {}, n))),
        ),
      buttons(view, cmd),
      s.summary && summary(s.summary),
    ),
  );
  app.querySelectorAll<HTMLElement>('pre.output').forEach((pre) => (pre.scrollTop = pre.scrollHeight));
}

function buttons(view: SavedWebviewState, cmd: Commands): HTMLElement {
  const s = view.state;
  const undecided = s.actions.some((a) => a.drift && !view.decisions[a.drift.path]);
  const row = h('div', { class: 'buttons' });
  if (s.phase === 'planned' && s.actions.length > 0) {
    row.append(button('Apply', cmd.apply, { id: 'apply', disabled: undecided }));
    row.append(button('Cancel', cmd.cancel, { id: 'cancel', appearance: 'secondary' }));
    if (undecided)
      row.append(h('span', { class: 'hint' }, 'Choose Keep or Overwrite for each edited file first.'));
  } else if (s.phase === 'gathering' || s.phase === 'applying') {
    row.append(button('Cancel', cmd.cancel, { id: 'cancel', appearance: 'secondary' }));
  } else {
    row.append(
      button('Plan again', cmd.replan, {
        id: 'replan',
        appearance: s.phase === 'done' ? 'secondary' : 'primary',
      }),
    );
  }
  return row;
}

function actionItem(a: ActionView, view: SavedWebviewState, cmd: Commands): HTMLElement {
  const canRerun =
    (view.state.phase === 'failed' || view.state.phase === 'cancelled') && a.status === 'failed';
  return h(
    'li',
    { class: `action ${a.status}`, 'data-id': a.id, 'data-status': a.status },
    h(
      'div',
      { class: 'head' },
      h('vscode-tag', { class: 'status' }, STATUS_LABEL[a.status]),
      h('strong', {}, a.title),
    ),
    h('div', { class: 'reason' }, `Why: ${a.reason}`),
    a.drift && drift(a.drift, view, cmd),
    a.skippedReason && h('div', { class: 'reason' }, `Skipped: ${a.skippedReason}`),
    a.output.length > 0 &&
      h(
        'pre',
        { class: 'output' },
        a.dropped ? `… ${a.dropped} earlier line(s) not kept\n` : '',
        a.output.join('\n'),
      ),
    a.error &&
      h(
        'div',
        { class: 'failure' },
        h('p', { class: 'error' }, a.error.message),
        a.error.hint && h('p', {}, `What to do: ${a.error.hint}`),
        a.error.restored.length > 0 && h('p', {}, `Put back as they were: ${a.error.restored.join(', ')}`),
        canRerun && button('Rerun from here', () => cmd.rerun(a.id), { class: 'rerun' }),
      ),
  );
}

function drift(d: { path: string; diff: string }, view: SavedWebviewState, cmd: Commands): HTMLElement {
  const lines = d.diff.trimEnd().split('\n');
  const diff = h(
    'pre',
    { class: 'diff' },
    ...lines.map((l) =>
      h('span', { class: l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : '' }, l + '\n'),
    ),
  );
  const chosen = view.decisions[d.path];
  const editable = view.state.phase === 'planned';
  const group = h(
    'vscode-radio-group',
    { class: 'decision', 'data-path': d.path, disabled: !editable },
    h('label', { slot: 'label' }, `${d.path} was edited on the server since Mailwright wrote it:`),
    h('vscode-radio', { value: 'keep', checked: chosen === 'keep' }, 'Keep server version'),
    h('vscode-radio', { value: 'overwrite', checked: chosen === 'overwrite' }, 'Overwrite'),
  );
  group.addEventListener('change', (e) => {
    const value = (e.target as HTMLElement & { value?: string }).value;
    if ((value === 'keep' || value === 'overwrite') && value !== chosen) cmd.decide(d.path, value);
  });
  return h('div', { class: 'drift' }, group, diff);
}

function summary(s: SummaryView): HTMLElement {
  return h(
    'section',
    { id: 'summary' },
    h('vscode-divider', {}),
    h('h2', {}, 'Summary'),
    h('p', {}, `${s.applied} step(s) applied.`),
    s.changedFiles.length > 0 &&
      h(
        'details',
        { open: true },
        h('summary', {}, `Changed files (${s.changedFiles.length})`),
        h('ul', {}, ...s.changedFiles.map((f) => h('li', {}, h('code', {}, f)))),
      ),
    h(
      'p',
      { id: 'commit' },
      s.commit ? h('span', {}, 'Committed ', h('code', {}, s.commit.slice(0, 10)), ': ') : '',
      s.commitNote ?? '',
    ),
    h('h2', {}, 'Next: DNS records to publish'),
    h(
      'p',
      { class: 'hint' },
      'Check them against DNS, copy them or publish them through your DNS provider from DNS Records ' +
        'under each domain in the Mail Servers view (Mail: Show DNS Records).',
    ),
    h(
      'table',
      { class: 'dns' },
      h('tr', {}, h('th', {}, 'Type'), h('th', {}, 'Name'), h('th', {}, 'Value')),
      ...s.dns.map((r) =>
        h(
          'tr',
          {},
          h('td', {}, r.type),
          h('td', {}, h('code', {}, r.name)),
          h(
            'td',
            {},
            r.value ? h('code', {}, r.value) : '',
            r.note ? h('span', { class: 'hint' }, r.value ? ` (${r.note})` : r.note) : '',
          ),
        ),
      ),
    ),
    h('h2', {}, 'Next: reverse DNS to set at your provider'),
    s.reverseDns.length
      ? h(
          'ul',
          {},
          ...s.reverseDns.map((r) => h('li', {}, h('code', {}, r.address), ' → ', h('code', {}, r.name))),
        )
      : h('p', {}, 'The server reported no public address.'),
  );
}
