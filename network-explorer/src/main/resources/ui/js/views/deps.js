// The map, node and overview views take formatting and live updates from here only: one stream per
// page (live.js, which honours the Pause switch) and one set of formatters (lib/format.js).
export { esc, relativeTime, localTime, pct, duration, num } from '../lib/format.js';
export { subscribe, onCounts } from '../live.js';
