// A tiny element builder: text always goes in as text, never as HTML.
type Child = Node | string | undefined | false;

export function h(
  tag: string,
  attrs: Record<string, string | boolean | undefined> = {},
  ...children: Child[]
): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === true) el.setAttribute(k, '');
    else if (typeof v === 'string') el.setAttribute(k, v);
  }
  for (const c of children) if (c !== undefined && c !== false) el.append(c);
  return el;
}

export function button(label: string, onClick: () => void, attrs: Record<string, string | boolean> = {}) {
  const b = h('vscode-button', attrs, label);
  b.addEventListener('click', onClick);
  return b;
}

/** The children worth showing: drops the false/undefined of `cond && element`. */
export function present(...children: Child[]): (Node | string)[] {
  return children.filter((c): c is Node | string => c !== undefined && c !== false);
}

/**
 * A translated text with elements in it: each `{n}` of `text` becomes parts[n]. The text comes from
 * t() called without arguments, so a translation can move the element where its language needs it.
 */
export function fill(text: string, ...parts: (Node | string)[]): (Node | string)[] {
  return text
    .split(/(\{\d+\})/)
    .map((piece) => {
      const index = /^\{(\d+)\}$/.exec(piece)?.[1];
      return index === undefined ? piece : (parts[Number(index)] ?? piece);
    })
    .filter((piece) => piece !== '');
}
