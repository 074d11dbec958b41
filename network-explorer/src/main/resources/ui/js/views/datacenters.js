// Placeholder until the view lands: renders its heading so the router works end to end.
export async function render(root, route) {
  const h = document.createElement('h2');
  h.tabIndex = -1;
  h.textContent = 'datacenters';
  root.append(h);
}
