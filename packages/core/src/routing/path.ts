const UNRESERVED = /%(?:[46][1-9A-Fa-f]|[57][0-9Aa]|3[0-9]|2[DdEe]|5[Ff]|7[Ee])/g;

/**
 * Canonical form of a request path, so route rules cannot be dodged by spelling a path another
 * way: query and fragment dropped, scheme/host dropped, percent-encoded unreserved characters
 * decoded (`%61` → `a`), other escapes upper-cased, `//` folded, `.` and `..` resolved, trailing
 * slash removed. Letter case is kept; rule matching decides about case.
 */
export function normalizePath(url: string): string {
  let path = url;
  const cut = path.search(/[?#]/);
  if (cut >= 0) path = path.slice(0, cut);
  path = path.replace(/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/]*/, '');
  if (path.includes('%')) {
    path = path.replace(UNRESERVED, (m) => String.fromCharCode(Number.parseInt(m.slice(1), 16)));
    path = path.replace(/%[0-9a-f]{2}/gi, (m) => m.toUpperCase());
  }
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  return `/${out.join('/')}`;
}

const ID_SEGMENT = /^(?:\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16,}|(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{20,})$/i;

/**
 * A low-cardinality label for a normalized path with no known route pattern: segments that look
 * like ids (numbers, UUIDs, long hex or token-like strings) become `:id`.
 */
export function pathLabel(normalizedPath: string): string {
  if (normalizedPath === '/') return normalizedPath;
  return normalizedPath
    .split('/')
    .map((s) => (s !== '' && ID_SEGMENT.test(s) ? ':id' : s))
    .join('/');
}
