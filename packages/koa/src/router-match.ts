import type { Context } from 'koa';

/** What is read of an @koa/router `Layer` (public properties of every koa-router since 7). */
interface LayerLike {
  readonly path?: unknown;
  readonly methods?: readonly string[];
  readonly stack?: readonly unknown[];
}

type RoutedContext = Context & { matched?: unknown; _matchedRoute?: unknown; routerPath?: unknown };

/** The layers @koa/router matched for this request's path and method, most specific last. */
function layersFor(ctx: RoutedContext): LayerLike[] | undefined {
  if (!Array.isArray(ctx.matched)) return undefined;
  return (ctx.matched as LayerLike[]).filter((layer) => Array.isArray(layer?.methods) && (layer.methods.length === 0 || layer.methods.includes(ctx.method)));
}

/**
 * The route pattern (`/v1/items/:id`, router prefix included) once @koa/router has matched the
 * request, i.e. when the limiter runs inside a router; `undefined` before routing.
 * `ctx._matchedRoute` is not enough on its own: in a `router.use()` layer it names that layer.
 */
export function routePattern(ctx: Context): string | undefined {
  const routed = ctx as RoutedContext;
  const layers = layersFor(routed);
  if (!layers) {
    const legacy = routed._matchedRoute ?? routed.routerPath;
    return typeof legacy === 'string' ? legacy : undefined;
  }
  const route = layers.findLast((layer) => layer.methods?.length && typeof layer.path === 'string');
  return route?.path as string | undefined;
}

/** The limits of the most specific tagged middleware among the matched layers' middleware. */
export function matchedTag<T>(ctx: Context, tags: WeakMap<object, T>): T | undefined {
  let found: T | undefined;
  for (const layer of layersFor(ctx as RoutedContext) ?? []) {
    if (!Array.isArray(layer.stack)) continue;
    for (const fn of layer.stack) if (typeof fn === 'function' && tags.has(fn)) found = tags.get(fn);
  }
  return found;
}
