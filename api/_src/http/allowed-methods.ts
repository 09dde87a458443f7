/**
 * @module http/allowed-methods
 * Which methods a path has, from the one route list (`allRouteDocs`, which a test keeps equal to what is mounted):
 * a known path asked with a method it lacks is answered 405 with `Allow` (RFC 9110 §15.5.6), not 404.
 */
import type { RouteDoc } from '../docs/registry.ts';

/** A function from a request path to the methods its routes answer (`HEAD` wherever `GET` is), empty for an unknown path. */
export function allowedMethods(routes: readonly Pick<RouteDoc, 'method' | 'path'>[]): (path: string) => string[] {
  const templates = routes.map((route) => ({ method: route.method.toUpperCase(), segments: route.path.split('/') }));
  return (path) => {
    const segments = path.split('/');
    const methods = new Set<string>();
    for (const template of templates) {
      if (template.segments.length !== segments.length) continue;
      const fits = template.segments.every((part, i) => part === segments[i] || (part.includes('{') && segments[i] !== ''));
      if (fits) methods.add(template.method);
    }
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods].sort();
  };
}
