// Light / dark / system theme. The choice lives in localStorage; the resolved theme is the
// data-theme attribute on <html>, which app.css's custom properties key on. No inline script
// (the CSP forbids it): until this module runs, app.css follows prefers-color-scheme itself.

const KEY = 'explorer.theme';
const CHOICES = ['system', 'light', 'dark'];
const LABELS = { system: 'System', light: 'Light', dark: 'Dark' };
const dark = window.matchMedia('(prefers-color-scheme: dark)');

function choice() {
  try {
    const c = localStorage.getItem(KEY);
    return CHOICES.includes(c) ? c : 'system';
  } catch { return 'system'; }
}

function apply(c) {
  const resolved = c === 'system' ? (dark.matches ? 'dark' : 'light') : c;
  document.documentElement.dataset.theme = resolved;
  document.documentElement.dataset.themeChoice = c;
  return resolved;
}

/** Sets data-theme from the stored choice and follows the system while the choice is 'system'. */
export function initTheme() {
  apply(choice());
  dark.addEventListener('change', () => { if (choice() === 'system') apply('system'); });
}

/**
 * A button (#theme-toggle) that cycles System -> Light -> Dark, saying the current choice.
 * @param {HTMLElement} slot
 */
export function mountThemeToggle(slot) {
  const button = document.createElement('button');
  button.type = 'button';
  button.id = 'theme-toggle';
  const paint = () => {
    const c = choice();
    const next = CHOICES[(CHOICES.indexOf(c) + 1) % CHOICES.length];
    button.textContent = 'Theme: ' + LABELS[c];
    button.title = 'Switch to ' + LABELS[next].toLowerCase() + ' theme';
  };
  button.addEventListener('click', () => {
    const c = CHOICES[(CHOICES.indexOf(choice()) + 1) % CHOICES.length];
    try { localStorage.setItem(KEY, c); } catch { /* not remembered */ }
    apply(c);
    paint();
  });
  paint();
  slot.replaceChildren(button);
}
