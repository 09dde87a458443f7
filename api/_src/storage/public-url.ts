/** The URL of `key` under a bucket's public base URL (a custom domain in front of R2), or null without one. */
export function publicObjectUrl(publicBaseUrl: string | undefined, key: string): string | null {
  if (!publicBaseUrl) return null;
  return `${publicBaseUrl.replace(/\/+$/, '')}/${key.split('/').map(encodeURIComponent).join('/')}`;
}
