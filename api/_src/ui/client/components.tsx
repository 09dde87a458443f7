/**
 * @module ui/client/components
 * The dashboard's shared pieces: buttons, form fields, error notices, the confirmation dialog (a native <dialog>, so
 * focus trapping and Escape come from the browser), status badges, copy buttons, toasts, and `useLoad` for data that
 * a page fetches and re-fetches. No inline styles anywhere: the Content-Security-Policy allows stylesheets only.
 */
import type { Child } from 'hono/jsx';
import { useCallback, useEffect, useRef, useState } from 'hono/jsx/dom';
import { ApiFailure } from './api.ts';
import { describeIgnored, type IgnoredParam } from './page-params.ts';
import { setSearchParams } from './router.tsx';

export function Button(props: {
  children?: Child;
  type?: 'button' | 'submit';
  variant?: 'primary' | 'danger' | 'quiet';
  busy?: boolean;
  disabled?: boolean;
  onClick?: (event: MouseEvent) => void;
  'aria-label'?: string;
  class?: string;
}) {
  const { children, type = 'button', variant, busy, disabled, onClick, class: extra, ...rest } = props;
  const classes = ['button', variant ? `button-${variant}` : '', extra ?? ''].filter(Boolean).join(' ');
  return (
    <button type={type} class={classes} disabled={disabled || busy} aria-busy={busy ? 'true' : undefined} onClick={onClick} {...rest}>
      {children}
    </button>
  );
}

/** A labelled control: the label wraps the control, so clicking it focuses the control. */
export function Field({ label, hint, error, children }: { label: string; hint?: Child; error?: string | null; children: Child }) {
  return (
    <label class={error ? 'field field-invalid' : 'field'}>
      <span class="field-label">{label}</span>
      {children}
      {error ? <span class="field-error" role="alert">{error}</span> : hint ? <span class="field-hint">{hint}</span> : null}
    </label>
  );
}

/** The value of the input, textarea or select an input/change event came from. */
export const valueOf = (event: Event): string => (event.target as HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement).value;

export function messageOf(error: unknown): string {
  if (error instanceof ApiFailure) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

export function ErrorNotice({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p class="notice notice-error" role="alert">
      {messageOf(error)}
    </p>
  );
}

/** Says which parameters of the address the page left out (page-params.ts), with a button that drops them from it. */
export function IgnoredParamsNotice({ ignored }: { ignored: readonly IgnoredParam[] }) {
  if (ignored.length === 0) return null;
  const one = ignored.length === 1;
  return (
    <p class="notice notice-warn ignored-params" role="status">
      This address has {one ? 'a value' : 'values'} the page cannot use, so it is shown without {one ? 'it' : 'them'}: {ignored.map(describeIgnored).join('; ')}.{' '}
      <Button variant="quiet" onClick={() => setSearchParams(Object.fromEntries(ignored.map((param) => [param.name, null])))}>
        Remove from the address
      </Button>
    </p>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p class="loading" role="status">
      {label}
    </p>
  );
}

export function EmptyState({ children }: { children: Child }) {
  return <div class="empty">{children}</div>;
}

const STATUS_LABELS: Record<string, string> = { draft: 'Draft', published: 'Published', archived: 'Archived' };

export function StatusBadge({ status, yanked }: { status: string; yanked?: boolean }) {
  if (yanked) return <span class="badge badge-yanked">Yanked</span>;
  return <span class={`badge badge-${status}`}>{STATUS_LABELS[status] ?? status}</span>;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      setCopied(false);
    }
  };
  return (
    <Button variant="quiet" onClick={copy} aria-label={`${label} to clipboard`}>
      {copied ? 'Copied' : label}
    </Button>
  );
}

/**
 * A secret the server answers once (a new API key, a new license key): it stands out, says it will not be shown
 * again, has a copy button, and leaves memory when dismissed (the caller drops it in `onDone`).
 */
export function ShownOnce(props: { id: string; title: Child; label: string; value: string; copyLabel: string; children: Child; onDone(): void }) {
  return (
    <div class="card new-key" role="region" aria-labelledby={props.id}>
      <h3 id={props.id}>{props.title}</h3>
      {props.children}
      <div class="new-key-value">
        <code aria-label={props.label} class="mono">
          {props.value}
        </code>
        <CopyButton text={props.value} label={props.copyLabel} />
      </div>
      <div class="actions">
        <Button onClick={props.onDone}>I have stored it</Button>
      </div>
    </div>
  );
}

export interface Action {
  /** True while `run`'s work is pending: disables the button or form that started it. */
  busy: boolean;
  /** What the last run threw (shown with ErrorNotice); cleared when a run starts. */
  error: unknown;
  setError(error: unknown): void;
  /**
   * Forgets the error. Every form passes it as its `onInput` (input events bubble from each field), so a refusal
   * leaves the page with the edit that answers it instead of staying beside a corrected form.
   */
  dismiss(): void;
  /** Runs `work`, keeping its failure in `error` instead of throwing it. */
  run(work: () => Promise<unknown>): Promise<void>;
}

/** The state every form and action button on the dashboard has: busy while its request runs, then its error. */
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async (work: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  const dismiss = useCallback(() => setError(null), []);
  return { busy, error, setError, dismiss, run };
}

/**
 * A modal confirmation. `children` says exactly what will happen; the confirm button runs `onConfirm` and shows its
 * failure inside the dialog, so the user can correct and retry without losing context.
 */
export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  confirmLabel: string;
  danger?: boolean;
  children?: Child;
  onConfirm(): Promise<void> | void;
  onClose(): void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const { busy, error, setError, run } = useAction();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) {
      setError(null);
      dialog.showModal();
    } else if (!props.open && dialog.open) {
      dialog.close();
    }
  }, [props.open]);
  const confirm = () =>
    run(async () => {
      await props.onConfirm();
      props.onClose();
    });
  return (
    <dialog ref={ref} class="dialog" aria-label={props.title} onClose={() => props.open && props.onClose()}>
      <h2>{props.title}</h2>
      <div class="dialog-body">{props.children}</div>
      <ErrorNotice error={error} />
      <div class="actions">
        <Button onClick={() => props.onClose()}>Cancel</Button>
        <Button variant={props.danger ? 'danger' : 'primary'} busy={busy} onClick={confirm}>
          {props.confirmLabel}
        </Button>
      </div>
    </dialog>
  );
}

/** Data a page loads, with `reload()` after a mutation. Errors are kept, not thrown. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { data: T | undefined; error: unknown; loading: boolean; reload(): void } {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: null, loading: true });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let current = true;
    setState((previous) => ({ ...previous, loading: true }));
    load().then(
      (data) => current && setState({ data, error: null, loading: false }),
      (error: unknown) => current && setState({ data: undefined, error, loading: false }),
    );
    return () => {
      current = false;
    };
  }, [...deps, generation]);
  const reload = useCallback(() => setGeneration((value) => value + 1), []);
  return { ...state, reload };
}

interface Toast {
  id: number;
  text: string;
  kind: 'info' | 'error';
}

// Toasts live outside the component tree: showing one re-renders only <Toasts>, never the page that asked for it
// (re-rendering a provider around the whole dashboard would remount it, closing dialogs and dropping typed input).
let toasts: readonly Toast[] = [];
let nextToastId = 1;
const toastListeners = new Set<() => void>();
const publishToasts = (next: readonly Toast[]) => {
  toasts = next;
  for (const listener of toastListeners) listener();
};

/** Shows a short confirmation ("Release 1.2.0 published") for five seconds; survives navigation. */
export function toast(text: string, kind: Toast['kind'] = 'info'): void {
  const id = nextToastId++;
  publishToasts([...toasts, { id, text, kind }]);
  setTimeout(() => publishToasts(toasts.filter((item) => item.id !== id)), 5000);
}

export const useToast = () => toast;

/** The polite live region the toasts appear in; rendered once, next to the dashboard. */
export function Toasts() {
  const [list, setList] = useState(toasts);
  useEffect(() => {
    const update = () => setList(toasts);
    toastListeners.add(update);
    return () => {
      toastListeners.delete(update);
    };
  }, []);
  return (
    <div class="toasts" aria-live="polite">
      {list.map((item) => (
        <p key={item.id} class={`toast toast-${item.kind}`}>
          {item.text}
        </p>
      ))}
    </div>
  );
}

export function PageHeader({ title, children }: { title: Child; children?: Child }) {
  return (
    <div class="page-header">
      <h1>{title}</h1>
      {children ? <div class="page-actions">{children}</div> : null}
    </div>
  );
}
