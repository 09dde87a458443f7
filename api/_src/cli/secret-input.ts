/**
 * @module cli/secret-input
 * A secret typed or piped in rather than passed as an option (which a shell history and `ps` would show): the first
 * line of stdin, or on a terminal a prompt on stderr that does not echo what is typed. Used for `login`'s API key
 * and a payment integration's signing secret.
 */
import type { Context } from './args.ts';
import { usageError } from './errors.ts';

/** Reads one line from stdin; on a terminal, prompts with `prompt` on stderr and does not echo what is typed. */
export async function readSecret(ctx: Context, prompt: string): Promise<string> {
  const stdin = ctx.stdin;
  if (stdin.isTTY && stdin.setRawMode) {
    // Raw mode before the prompt: what is typed once the prompt shows is never echoed.
    stdin.setRawMode(true);
    ctx.out.stderr.write(`${prompt}: `);
    try {
      return await new Promise<string>((resolve, reject) => {
        let typed = '';
        const onData = (chunk: Buffer | string) => {
          for (const char of chunk.toString()) {
            if (char === '\r' || char === '\n') return finish();
            if (char === '\u0003') return fail(usageError('cancelled'));
            if (char === '\u007f') typed = typed.slice(0, -1);
            else typed += char;
          }
        };
        const finish = () => {
          stdin.off('data', onData);
          ctx.out.stderr.write('\n');
          resolve(typed);
        };
        const fail = (error: Error) => {
          stdin.off('data', onData);
          reject(error);
        };
        stdin.on('data', onData);
      });
    } finally {
      stdin.setRawMode(false);
      stdin.pause();
    }
  }
  let input = '';
  for await (const chunk of stdin) input += chunk.toString();
  return input.split(/\r?\n/)[0] ?? '';
}
