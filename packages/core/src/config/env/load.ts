import { RateLimitConfigError } from '../../errors.js';
import { closest, Issues } from '../checks.js';
import { TIERS } from '../../tiers.js';
import { crossChecks } from './cross-checks.js';
import type { EnvTarget, RateLimitEnvConfig } from './env-config.js';
import { ENV_PREFIX, envTable } from './variables.js';

/**
 * Reads every `AURUM_API_*` variable, validates all of them and throws one
 * {@link RateLimitConfigError} naming each bad variable and why. Unknown `AURUM_API_RATE_LIMIT_*`
 * names are errors too: a typo must not silently leave a default in place.
 * @param env trimmed values; an empty or blank value counts as unset
 * @param options.tiers the tier names the variables may use (per-tier variables, `DEFAULT_TIER`,
 *   `TIER_RULES`…): the four defaults unless the code declares more in `tiers`
 * @throws RateLimitConfigError listing every bad or unknown variable
 */
export function loadConfigFromEnv(env: Record<string, string | undefined> = process.env, options: { tiers?: readonly string[] } = {}): RateLimitEnvConfig {
  const tiers = options.tiers ?? TIERS;
  const table = tableFor(tiers);
  const names = table.map((variable) => variable.name);
  const issues = new Issues();
  const values = new Map<string, unknown>();
  const config: Record<string, unknown> = {};
  for (const variable of table) {
    const text = env[variable.name]?.trim();
    if (text === undefined || text === '') continue;
    const parsed = variable.parser.parse(text);
    if (!parsed.ok) {
      issues.add(variable.name, parsed.problem);
      continue;
    }
    values.set(variable.name, parsed.value);
    place(config, variable.to, parsed.value);
  }
  for (const check of crossChecks(tiers)) check(values, issues);
  for (const name of Object.keys(env)) {
    if (!name.startsWith(ENV_PREFIX) || names.includes(name)) continue;
    const hint = closest(name, names);
    issues.add(name, `is not a known variable${hint ? ` (did you mean ${hint}?)` : ''}`);
  }
  if (issues.list.length > 0) throw new RateLimitConfigError(issues.list);
  return config as RateLimitEnvConfig;
}

/** The table of the last tier list asked for: a manager's env is read once, but tests build many. */
let cached: { key: string; table: ReturnType<typeof envTable> } | undefined;
function tableFor(tiers: readonly string[]): ReturnType<typeof envTable> {
  const key = tiers.join(',');
  if (cached?.key !== key) cached = { key, table: envTable(tiers) };
  return cached.table;
}

/** Sets `config[a][b]… = value`, creating the objects on the way. */
function place(config: Record<string, unknown>, path: EnvTarget, value: unknown): void {
  let node = config;
  for (const key of path.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}
