/**
 * A stand-in for `@actions/core` in unit tests of an action's `main.ts` (typescript-action's `__fixtures__/core.ts`):
 * inputs from a plain object, read the way core reads them (trimmed unless `trimWhitespace: false`), and everything
 * the action sets recorded in plain objects as well as on the `jest.fn`s.
 *
 * @example
 * const core = createCoreMock({ certificate: '' });
 * jest.unstable_mockModule('@actions/core', () => core);
 * const { run } = await import('./main.ts');          // import *after* registering the mock
 * await run();
 * expect(core.setFailed).toHaveBeenCalledWith(expect.stringContaining('certificate-password is empty'));
 */
import { jest } from '@jest/globals';

export function createCoreMock(initialInputs: Record<string, string> = {}) {
  const recorded = {
    inputs: { ...initialInputs },
    outputs: {} as Record<string, string>,
    exported: {} as Record<string, string>,
    state: {} as Record<string, string>,
    secrets: [] as string[],
    summary: '',
    log: [] as string[],
  };
  const log = (level: string) => (message: string | Error, _properties?: object) => void recorded.log.push(`${level}: ${String(message)}`);
  const summary = {
    addRaw: jest.fn((text: string) => {
      recorded.summary += text;
      return summary;
    }),
    write: jest.fn(async () => summary),
  };
  const mock = {
    recorded,
    /** Forgets everything recorded and every call, and starts over with `inputs`. */
    reset(inputs: Record<string, string> = {}) {
      Object.assign(recorded, { inputs: { ...inputs }, outputs: {}, exported: {}, state: {}, secrets: [], summary: '', log: [] });
      for (const value of Object.values(mock)) if (jest.isMockFunction(value)) value.mockClear();
      summary.addRaw.mockClear();
      summary.write.mockClear();
    },
    getInput: jest.fn((name: string, options?: { required?: boolean; trimWhitespace?: boolean }) => {
      const value = recorded.inputs[name] ?? '';
      if (options?.required && value === '') throw new Error(`Input required and not supplied: ${name}`);
      return options?.trimWhitespace === false ? value : value.trim();
    }),
    setSecret: jest.fn((secret: string) => void recorded.secrets.push(secret)),
    setOutput: jest.fn((name: string, value: unknown) => void (recorded.outputs[name] = String(value))),
    exportVariable: jest.fn((name: string, value: unknown) => {
      recorded.exported[name] = String(value);
    }),
    saveState: jest.fn((name: string, value: unknown) => void (recorded.state[name] = String(value))),
    getState: jest.fn((name: string) => recorded.state[name] ?? ''),
    /** Fails until a test gives it an implementation (`core.getIDToken.mockImplementation(…)`), as without id-token: write. */
    getIDToken: jest.fn(async (_audience?: string): Promise<string> => {
      throw new Error('Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable');
    }),
    setFailed: jest.fn(log('failed')),
    debug: jest.fn(log('debug')),
    info: jest.fn(log('info')),
    notice: jest.fn(log('notice')),
    warning: jest.fn(log('warning')),
    error: jest.fn(log('error')),
    summary,
  };
  return mock;
}

export type CoreMock = ReturnType<typeof createCoreMock>;
