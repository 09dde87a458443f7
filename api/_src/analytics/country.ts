/**
 * @module analytics/country
 * The country of a request, only as the hosting platform already tells it in a header. The client's
 * IP address is never read, so it cannot be stored.
 *
 * - Vercel: `x-vercel-ip-country` (ISO 3166-1 alpha-2).
 * - Cloudflare: `cf-ipcountry`; `XX` means unknown and `T1` means Tor, so neither is a country.
 */
export const COUNTRY_HEADERS = ['x-vercel-ip-country', 'cf-ipcountry'] as const;

/** Stored when no header names a country (a key column cannot be null and still conflict). */
export const NO_COUNTRY = '';

function isLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

/** Two ASCII letters, upper-cased; anything else (absent, `XX`, `T1`, junk) is `NO_COUNTRY`. */
export function normalizeCountry(value: string | null | undefined): string {
  if (!value || value.length !== 2 || !isLetter(value.charCodeAt(0)) || !isLetter(value.charCodeAt(1))) return NO_COUNTRY;
  const upper = value.toUpperCase();
  return upper === 'XX' ? NO_COUNTRY : upper;
}

/** The first platform header that names a country. */
export function countryOf(headers: Pick<Headers, 'get'>): string {
  for (const name of COUNTRY_HEADERS) {
    const country = normalizeCountry(headers.get(name));
    if (country !== NO_COUNTRY) return country;
  }
  return NO_COUNTRY;
}
