// route.ts - the app's pages before login and their addresses: the part of the URL after '#'
// ("#/privacy"), so that any static server serves every page from index.html. Pure: the
// views (app.tsx) move between pages with the history API.

export const ROUTES = ['front', 'privacy', 'accessibility'] as const;
export type Route = (typeof ROUTES)[number];

const PATHS: Record<Route, string> = { front: '/', privacy: '/privacy', accessibility: '/accessibility' };

/** The page a location hash names ("", "#", "#/" and anything unknown: the front page). */
export function routeOf(hash: string): Route {
  const path = hash.replace(/^#/, '').replace(/\/+$/, '') || '/';
  return ROUTES.find((r) => PATHS[r] === path) ?? 'front';
}

/** The hash of a page, for links ("#/privacy"). */
export function hashOf(route: Route): string {
  return '#' + PATHS[route];
}
