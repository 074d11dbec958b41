// Building DOM for the views without HTML strings: every value lands as text (textContent) or an
// attribute set through the DOM, so a record's '<script>' or quotes stay inert; no style
// attributes (the CSP forbids them), classes instead.
const SVG_NS = 'http://www.w3.org/2000/svg';

/** h('a', {href: '#/', class: 'x'}, 'text', child) -> element; null/false children are skipped. */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** The same for SVG elements. */
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

function build(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) {
      // A handler is a function, never attribute text: the CSP refuses inline handlers anyway.
      if (typeof v !== 'function') throw new TypeError(`${k} must be a function`);
      el.addEventListener(k.slice(2), v);
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** A status shown as a coloured dot and its word (readable at AA contrast in both themes). */
export function statusTag(status) {
  return h('span', { class: `st st-${String(status)}` }, String(status ?? '—'));
}

/** A relative time ("3 min ago") with the exact local time on hover and for assistive tech. */
export function timeTag(iso, relativeTime, localTime) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  return h('time', { datetime: iso, title: localTime(iso) }, relativeTime(iso));
}

export function heading(text, id) {
  return h('h2', { tabindex: '-1', id }, text);
}
