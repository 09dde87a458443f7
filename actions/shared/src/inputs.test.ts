import { describe, expect, it } from '@jest/globals';
import { decodeBase64 } from './files.ts';
import { parseDurationInput, parseIntegerInput, parseSecondsInput } from './inputs.ts';

describe('input parsers', () => {
  it('reads durations the way notarytool --timeout takes them', () => {
    expect(parseDurationInput('wait-timeout', undefined, '30m')).toEqual({ seconds: 1800, text: '30m' });
    expect(parseDurationInput('wait-timeout', '90', '30m')).toEqual({ seconds: 90, text: '90s' });
    expect(parseDurationInput('wait-timeout', '2h', '30m')).toEqual({ seconds: 7200, text: '2h' });
    expect(() => parseDurationInput('wait-timeout', '30 min', '30m')).toThrow('Input wait-timeout must be a duration such as 30m, 2h or 900s, not "30 min".');
    expect(() => parseDurationInput('wait-timeout', '0m', '30m')).toThrow(/must be a duration/);
  });

  it('reads bounded integers and seconds, naming the input', () => {
    expect(parseIntegerInput('n', undefined, 5, 1, 10)).toBe(5);
    expect(parseIntegerInput('n', '7', 5, 1, 10)).toBe(7);
    expect(() => parseIntegerInput('n', '11', 5, 1, 10)).toThrow('Input n must be a whole number from 1 to 10, not "11".');
    expect(parseSecondsInput('d', '0.5', 30)).toBe(0.5);
    expect(() => parseSecondsInput('d', '-1', 30)).toThrow('Input d must be a number of seconds (e.g. 30), not "-1".');
  });

  it('decodes base64 with line breaks and names the input when it is not base64', () => {
    expect(decodeBase64('aGVs\nbG8=\n', 'x', 'base64 -i f').toString()).toBe('hello');
    expect(() => decodeBase64('hello world!', 'certificate', 'base64 -i c.p12')).toThrow('certificate is not base64. Encode the file with `base64 -i c.p12`');
  });
});
