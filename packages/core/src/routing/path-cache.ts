import { normalizePath, pathLabel } from './path.js';
import { type CompiledRouteRule, matchRouteRule } from './route-rules.js';

/** What the manager needs to know about a request path. */
export interface PathInfo {
  readonly normalized: string;
  /** The path with ids folded: the metrics label when neither the framework nor a rule names the route. */
  readonly label: string;
  /** The route rule for a method (`''` when the request has none). */
  rule(method: string | undefined): CompiledRouteRule | undefined;
}

const MAX_PATHS = 10_000;

/**
 * Normalisation, id folding and route-rule matching cost more than the rest of a decision;
 * requests repeat their paths, so the answers are kept (bounded: emptied when full).
 */
export class PathCache {
  private readonly entries = new Map<string, PathInfo>();
  /** The last answer: consecutive requests often share a path, and one compare beats a hash lookup. */
  private lastPath: string | undefined;
  private lastInfo: PathInfo | undefined;

  constructor(private readonly rules: readonly CompiledRouteRule[]) {}

  get(path: string): PathInfo {
    if (path === this.lastPath) return this.lastInfo as PathInfo;
    const info = this.lookup(path);
    this.lastPath = path;
    this.lastInfo = info;
    return info;
  }

  /** The first rule that counts in `bucket` (where that bucket's quota is declared), if any. */
  ruleOfBucket(bucket: string): CompiledRouteRule | undefined {
    return this.rules.find((r) => r.rule.bucket === bucket);
  }

  private lookup(path: string): PathInfo {
    const cached = this.entries.get(path);
    if (cached !== undefined) return cached;
    if (this.entries.size >= MAX_PATHS) this.entries.clear();
    const info = this.build(path);
    this.entries.set(path, info);
    return info;
  }

  private build(path: string): PathInfo {
    const normalized = normalizePath(path);
    const label = pathLabel(normalized);
    const rules = this.rules;
    if (rules.length === 0) return { normalized, label, rule: () => undefined };
    const byMethod = new Map<string, CompiledRouteRule | undefined>();
    const any = matchRouteRule(rules, normalized, undefined);
    return {
      normalized,
      label,
      rule(method) {
        if (method === undefined) return any;
        if (byMethod.has(method)) return byMethod.get(method);
        const rule = matchRouteRule(rules, normalized, method);
        byMethod.set(method, rule);
        return rule;
      },
    };
  }
}
