// A tiny element builder: every value becomes text (textContent / setAttribute), never markup,
// so record values (labels, datacenter names) cannot inject anything. No inline styles (CSP).

/**
 * h('a', {href: '#/x', class: 'c'}, 'text', child) -> <a href class>text child</a>.
 * Attributes with null/undefined/false values are left out; `true` sets an empty attribute.
 * `on: {click: fn}` adds listeners. Children: strings/numbers (as text), nodes, arrays, null.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k === 'on') { for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn); continue; }
    if (k === 'dataset') { Object.assign(el.dataset, v); continue; }
    el.setAttribute(k === 'className' ? 'class' : k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c == null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

/** Replaces an element's children; null/false children are left out (not rendered as "null"). */
export function put(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** The view's heading: focus target on route change (main.js), so it takes tabindex=-1. */
export function heading(text) {
  return h('h2', { tabindex: '-1' }, text);
}

/** A status badge: the word itself is the text (colour is not the only cue). */
export function badge(status) {
  return h('span', { class: 'badge ' + (['online', 'offline', 'unknown'].includes(status) ? status : 'unknown') }, status ?? 'unknown');
}

/** A message that replaces content which could not load (role=alert for errors, status otherwise). */
export function notice(text, error = false) {
  return h('p', { class: error ? 'notice error' : 'notice muted', role: error ? 'alert' : 'status' }, text);
}
