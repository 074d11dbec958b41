// The map, node and overview views take formatting and live updates from here only. Helper C1's
// lib/format.js and live.js (same names and signatures) were not on main when these views were
// written, so local stand-ins are re-exported; once C1's are merged, point these two lines at
// '../lib/format.js' and '../live.js' and delete lib/fallback-format.js and lib/fallback-live.js.
export { esc, relativeTime, localTime, pct, duration, num } from '../lib/fallback-format.js';
export { subscribe, onCounts } from '../lib/fallback-live.js';
