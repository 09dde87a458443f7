/**
 * @module ui/client/page-params
 * The query parameters a page reads from its address, each checked by the rule the API applies to it before any
 * reaches the API. A hand-edited or stale address (`/ui/audit?before=garbage`, `?status=bogus`) shows the page
 * without that parameter and names it in a notice (`IgnoredParamsNotice`), rather than the API's validation message
 * in place of the page. Every filtered page reads its address this way, so each says it the same way.
 */
import type * as z from 'zod';

export interface ParamRule {
  accepts(value: string): boolean;
  /** What a usable value looks like, for the notice: "an entry number", "draft, published or archived". */
  expected: string;
}

/** A parameter left out of the page's view, and why. */
export interface IgnoredParam {
  name: string;
  value: string;
  expected: string;
}

/** The rule `schema` (the API's own, from protocol/) applies, for a parameter as the address has it. */
export const bySchema = (schema: z.ZodType, expected: string): ParamRule => ({ accepts: (value) => schema.safeParse(value).success, expected });

/** Each parameter's value ('' when absent or left out), and the ones left out. */
export function readParams<K extends string>(search: string, rules: Readonly<Record<K, ParamRule>>): { values: Record<K, string>; ignored: IgnoredParam[] } {
  const params = new URLSearchParams(search);
  const values = {} as Record<K, string>;
  const ignored: IgnoredParam[] = [];
  for (const name of Object.keys(rules) as K[]) {
    const value = params.get(name) ?? '';
    const usable = value === '' || rules[name].accepts(value);
    values[name] = usable ? value : '';
    if (!usable) ignored.push({ name, value, expected: rules[name].expected });
  }
  return { values, ignored };
}

const SHOWN_VALUE = 40;

/** "before=garbage (expected an entry number)", the value cut short so a pasted novel does not fill the page. */
export function describeIgnored(param: IgnoredParam): string {
  const value = param.value.length > SHOWN_VALUE ? `${param.value.slice(0, SHOWN_VALUE - 1)}…` : param.value;
  return `${param.name}=${value} (expected ${param.expected})`;
}
