// Rules over several variables, run after each variable has been read on its own.
import { policyProblem } from '../../algorithms/gcra.js';
import { tierEnvName } from '../../tiers.js';
import type { Issues } from '../checks.js';
import { ENV_PREFIX } from './variables.js';

/** Reads the variables that parsed (name → value) and reports what is wrong with them together. */
export type CrossCheck = (values: ReadonlyMap<string, unknown>, issues: Issues) => void;

const THRESHOLD = `${ENV_PREFIX}CIRCUIT_THRESHOLD`;
const MINIMUM_CALLS = `${ENV_PREFIX}CIRCUIT_MINIMUM_CALLS`;

/** CIRCUIT_THRESHOLD (0.1's name) is an alias of CIRCUIT_MINIMUM_CALLS: two values for one setting is a mistake. */
const oneBreakerMinimum: CrossCheck = (values, issues) => {
  if (values.has(THRESHOLD) && values.has(MINIMUM_CALLS)) issues.add(THRESHOLD, `is the old name of ${MINIMUM_CALLS}: set only ${MINIMUM_CALLS}`);
};

/** A tier's rate and burst together must give a refill window every store can execute. */
const refillWindow =
  (tierPrefix: string): CrossCheck =>
  (values, issues) => {
    const rps = values.get(`${tierPrefix}RPS`);
    const burst = values.get(`${tierPrefix}BURST`);
    if (rps !== undefined && burst !== undefined && policyProblem(rps, burst) !== undefined)
      issues.add(`${tierPrefix}BURST`, `with ${tierPrefix}RPS=${rps}, the refill window (burst / rate) must be at most 30 days, got ${burst} / ${rps}`);
  };

/** The cross-checks of a manager with these tier names. */
export const crossChecks = (tiers: readonly string[]): readonly CrossCheck[] => [
  oneBreakerMinimum,
  ...tiers.map((tier) => refillWindow(`${ENV_PREFIX}${tierEnvName(tier)}_`)),
];
