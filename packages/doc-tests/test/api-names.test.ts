/**
 * Prose must not name calls that do not exist: `manager.getHealth()` in a doc sends a reader to
 * an API that was never there (issue 16). Every inline code span that calls something
 * (`name(…)`) must name a function, method or class declared in a package's source, or one of
 * the outside APIs listed below.
 */
import { describe, expect, it } from 'vitest';
import { publishedMarkdown, read, sourceFiles } from './markdown.js';

/** Names of Node, framework and peer-library APIs the docs mention on purpose. */
const OUTSIDE = new Set([
  // Node and the language
  'ceil',
  'cpuUsage',
  'require',
  'setTimeout',
  // ioredis
  'Cluster',
  'Redis',
  // frameworks
  'use',
  'register',
  'listen',
  'UseGuards',
  'Controller',
  'All',
  'Inject',
  'NotFoundException',
  'FastifyAdapter',
  'getResponse',
  'notFound',
  // peer limiters (migration guides)
  'Throttle',
  'SkipThrottle',
  'getTracker',
]);

/** Every identifier a package's source declares or defines as a member. */
function declaredNames(): Set<string> {
  const names = new Set<string>();
  for (const file of sourceFiles()) {
    const text = read(file);
    for (const m of text.matchAll(/(?:function\*?|class|const|let|interface|type|enum)\s+([A-Za-z_$][\w$]*)/g)) names.add(m[1] as string);
    for (const m of text.matchAll(/^\s*(?:(?:readonly|private|protected|public|static|async|get|set|override)\s+)*\*?\s*([A-Za-z_$][\w$]*)\??\s*[(<:=]/gm))
      names.add(m[1] as string);
  }
  return names;
}

describe('published docs name only APIs that exist', () => {
  const known = declaredNames();
  for (const file of publishedMarkdown()) {
    it(file, () => {
      // Code blocks are compiled by the snippet test; this one reads the prose.
      const prose = read(file).replace(/```[\s\S]*?```/g, '');
      const unknown: string[] = [];
      // A code span may wrap onto the next line, never across a blank one.
      for (const span of prose.matchAll(/`((?:[^`\n]|\n(?!\n))+)`/g)) {
        for (const call of (span[1] as string).matchAll(/([A-Za-z_$][\w$]*)\s*\(/g)) {
          const name = call[1] as string;
          if (!known.has(name) && !OUTSIDE.has(name)) unknown.push(`${name} in \`${span[1]}\``);
        }
      }
      expect(unknown).toEqual([]);
    });
  }

  it('would catch the name this test was written for', () => {
    expect(known.has('getHealth')).toBe(false);
    expect(known.has('health')).toBe(true);
  });
});
