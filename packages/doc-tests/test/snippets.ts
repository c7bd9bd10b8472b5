import { publishedMarkdown, read } from './markdown.js';

/** A TypeScript or JavaScript code block of the published docs. */
export interface Snippet {
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly lang: 'ts' | 'js';
  readonly code: string;
  /** Files the block is an excerpt of (`excerpt=a,b` in its info string): compiled where they live. */
  readonly excerptOf: readonly string[] | undefined;
  /** What the block assumes (`context=name`): see contexts.ts. */
  readonly context: string | undefined;
}

const LANGS: Record<string, 'ts' | 'js'> = { ts: 'ts', typescript: 'ts', tsx: 'ts', js: 'js', javascript: 'js', mjs: 'js' };

/** Every ts/js block of README.md, the packages' and examples' READMEs and docs/. */
export function snippets(): Snippet[] {
  const out: Snippet[] = [];
  for (const file of publishedMarkdown()) {
    const text = read(file);
    for (const m of text.matchAll(/^```(\w+)([^\n]*)\n([\s\S]*?)^```/gm)) {
      const lang = LANGS[m[1] as string];
      if (lang === undefined) continue;
      const info = m[2] as string;
      const excerpt = /\bexcerpt=(\S+)/.exec(info)?.[1];
      out.push({
        file,
        line: text.slice(0, m.index).split('\n').length,
        lang,
        code: m[3] as string,
        excerptOf: excerpt?.split(','),
        context: /\bcontext=(\S+)/.exec(info)?.[1],
      });
    }
  }
  return out;
}
