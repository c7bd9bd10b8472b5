/**
 * Time budget of a conformance case that does real work (a thousand requests, real waits). The CI
 * lanes run suites at the lowest CPU priority beside another test run, where such a case can take
 * several times its usual second or two: vitest's default of 5 s is too tight for it.
 */
export const SLOW_TEST_MS = 30_000;
