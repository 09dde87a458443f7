import { describe, expect, it } from '@jest/globals';
import { generateApiKey } from '../auth/keys.ts';
import { keyPrefix } from '../cli/config.ts';
import { isApiKey } from './api-key-format.ts';

describe('the API key format', () => {
  it('is one: the CLI shows a key by the very prefix the server lists it under, and tells it from ADMIN_TOKEN', () => {
    const { key, displayPrefix } = generateApiKey();
    expect(isApiKey(key)).toBe(true);
    expect(keyPrefix(key)).toBe(`${displayPrefix}…`);
    expect(isApiKey('e2e-admin-token-0123456789abcdefghij')).toBe(false);
    expect(keyPrefix('e2e-admin-token-0123456789abcdefghij')).toBe('e2e-…');
  });
});
