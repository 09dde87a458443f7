/**
 * @module ui/client/router
 * History-API routing under /ui: `navigate`, `<Link>`, and `usePath`/`useSearch` hooks. Links are real `<a href>`s,
 * so middle-click, copy-link and keyboard activation behave as on any page.
 */
import type { Child } from 'hono/jsx';
import { useEffect, useState } from 'hono/jsx/dom';

/** What a page component is given: the parameters its route pattern matched (`:app`, `:release`). */
export type PageProps = { params: Record<string, string> };

const listeners = new Set<() => void>();
const notify = () => {
  for (const listener of listeners) listener();
};
window.addEventListener('popstate', notify);

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === location.pathname + location.search) return;
  if (options.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  notify();
  if (!options.replace) window.scrollTo(0, 0);
}

function useLocationValue<T>(read: () => T): T {
  const [value, setValue] = useState(read);
  useEffect(() => {
    const update = () => setValue(read);
    listeners.add(update);
    return () => {
      listeners.delete(update);
    };
  }, []);
  return value;
}

export const usePath = () => useLocationValue(() => location.pathname);
export const useSearch = () => useLocationValue(() => location.search);

/** Replaces some query parameters of the current URL (empty values are removed). */
export function setSearchParams(changes: Record<string, string | null | undefined>): void {
  const params = new URLSearchParams(location.search);
  for (const [name, value] of Object.entries(changes)) {
    if (value) params.set(name, value);
    else params.delete(name);
  }
  const search = params.toString();
  navigate(`${location.pathname}${search ? `?${search}` : ''}`, { replace: true });
}

/** Matches `/ui/apps/:app` style patterns; parameters are URI-decoded. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/');
  const have = path.replace(/\/+$/, '').split('/');
  if (want.length !== have.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const segment = want[i]!;
    if (segment.startsWith(':')) {
      try {
        params[segment.slice(1)] = decodeURIComponent(have[i]!);
      } catch {
        return null;
      }
    } else if (segment !== have[i]) {
      return null;
    }
  }
  return params;
}

export function uiPath(...segments: string[]): string {
  return ['/ui', ...segments.map((segment) => encodeURIComponent(segment))].join('/');
}

interface LinkProps {
  href: string;
  class?: string;
  children?: Child;
  'aria-current'?: 'page' | undefined;
}

export function Link({ href, children, ...rest }: LinkProps) {
  const onClick = (event: MouseEvent) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(href);
  };
  return (
    <a href={href} onClick={onClick} {...rest}>
      {children}
    </a>
  );
}
