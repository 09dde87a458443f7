import { describe, expect, it } from '@jest/globals';
import { parseFileCommands, parseWorkflowCommands } from './testing.ts';

describe('parseFileCommands', () => {
  it('reads heredoc blocks (what @actions/core 3 writes) and name=value lines; the last entry wins', () => {
    const text = 'a<<ghadelimiter_1\nline 1\nline 2\nghadelimiter_1\nb=plain\nempty<<ghadelimiter_2\n\nghadelimiter_2\nb<<ghadelimiter_3\nlater\nghadelimiter_3\n';
    expect(parseFileCommands(text)).toEqual({ a: 'line 1\nline 2', b: 'later', empty: '' });
  });

  it('refuses an unterminated block', () => {
    expect(() => parseFileCommands('a<<EOF\nvalue\n')).toThrow('Unterminated a<<EOF block');
  });
});

describe('parseWorkflowCommands', () => {
  it('reads commands with properties and unescapes data', () => {
    expect(parseWorkflowCommands('plain line\n::add-mask::s3cr3t\n::error title=Bad%2C very,file=a%3Ab::two%0Alines\n')).toEqual([
      { command: 'add-mask', properties: {}, message: 's3cr3t' },
      { command: 'error', properties: { title: 'Bad, very', file: 'a:b' }, message: 'two\nlines' },
    ]);
  });
});
