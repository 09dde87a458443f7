/**
 * @module ci/oidc/refusal
 * Every way an OIDC token can be refused, as one stable code per rule. A refusal goes to the caller as
 * `{"error":{"code":"unauthorized"|"forbidden","message":"OIDC token refused by rule \"<rule>\": …"}}` and
 * into the audit log with the same rule. Messages name the rule and the offending claim value where it
 * helps; they never contain the token.
 */
import { ApiError } from '../../http/errors.ts';

/** Rules about the token itself: it is not a valid token from our issuer for us (401). */
export const TOKEN_RULES = [
  'token', // missing, not a compact JWS, too large
  'issuer', // `iss` is not exactly the configured issuer
  'algorithm', // header `alg` is not RS256
  'kid', // header `kid` missing
  'key', // no key of the issuer has that `kid`, even after a refetch
  'signature',
  'audience', // `aud` is not exactly our audience, as a single string
  'exp',
  'nbf',
  'iat', // in the future, or too old
  'claims', // a required claim is missing or not a string
  'jti', // the token was already exchanged
] as const;

/** Rules about the run the token describes: valid token, but no trusted publisher allows it (403). */
export const POLICY_RULES = [
  'publisher', // the app has no trusted publisher for this repository (or no such app)
  'repository',
  'repository_owner_id',
  'repository_id',
  'workflow_ref',
  'event_name',
  'runner_environment',
  'ref',
  'environment',
] as const;

export type TokenRule = (typeof TOKEN_RULES)[number];
export type PolicyRule = (typeof POLICY_RULES)[number];
export type OidcRule = TokenRule | PolicyRule;

const isTokenRule = (rule: OidcRule): rule is TokenRule => (TOKEN_RULES as readonly string[]).includes(rule);

export class OidcRefusal extends ApiError {
  override name = 'OidcRefusal';
  readonly rule: OidcRule;
  /** The reason alone, without the rule prefix; what the audit log records. */
  readonly reason: string;
  constructor(rule: OidcRule, reason: string) {
    const tokenRule = isTokenRule(rule);
    super(tokenRule ? 401 : 403, tokenRule ? 'unauthorized' : 'forbidden', `OIDC token refused by rule "${rule}": ${reason}`);
    this.rule = rule;
    this.reason = reason;
  }
}

export const refuse = (rule: OidcRule, reason: string): OidcRefusal => new OidcRefusal(rule, reason);

/** A claim value for a message: JSON-quoted and cut short, since unverified values are attacker-chosen. */
export function quote(value: unknown, max = 120): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
