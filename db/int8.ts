/** int8 comes back as a JavaScript number on every driver; no size or count here gets near 2^53. */
export function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${value} does not fit a JavaScript number`);
  return n;
}

export const INT8_OID = 20;
