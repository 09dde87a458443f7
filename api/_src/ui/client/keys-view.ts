/**
 * @module ui/client/keys-view
 * The API keys page's view as its address states it: `?show=all` lists every app's keys with the global ones; none
 * (or `global`), the global keys. Any other value is left out and named (page-params.ts), not read as `global` unsaid.
 */
import { type IgnoredParam, readParams } from './page-params.ts';

const KEYS_PARAMS = {
  show: { accepts: (value: string) => value === 'all' || value === 'global', expected: 'all or global' },
};

/** Whether the page lists every app's keys, and the parameters left out (shown with IgnoredParamsNotice). */
export function readKeysView(search: string): { showAll: boolean; ignored: IgnoredParam[] } {
  const { values, ignored } = readParams(search, KEYS_PARAMS);
  return { showAll: values.show === 'all', ignored };
}
