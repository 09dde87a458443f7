/**
 * @module protocol/probe
 * Sent by `tauri-release doctor` on its probe checks and downloads: answered as any other request, but not counted
 * in analytics (a probe's `current_version` 0.0.0 is no install's version). Apart from protocol/analytics.ts so
 * that the update path does not build the analytics reports' schemas at every cold start.
 */
export const PROBE_HEADER = 'x-tauri-release-probe';
