// route.ts - the app's pages and their addresses: the part of the URL after '#' ("#/privacy"),
// so that any static server serves every page from index.html. The pages before login (front,
// privacy, accessibility) and the citizen's pages after login (my questions, a new question,
// one thread "#/thread/<id>", devices, notifications, "Your data" and a rights request on one
// thread "#/mydata/<id>"). Pure: the views (app.tsx) move between
// pages with the history API.

export const ROUTES = ['front', 'privacy', 'accessibility', 'threads', 'ask', 'devices', 'notifications', 'mydata'] as const;
export type StaticRoute = (typeof ROUTES)[number];
/** A page: a fixed one, one thread by its id (32 hex digits), or a rights request on one. */
export type Route = StaticRoute | `thread/${string}` | `mydata/${string}`;

/** The pages that need a session (the others are public). */
export const LOGGED_IN_ROUTES: readonly StaticRoute[] = ['threads', 'ask', 'devices', 'notifications', 'mydata'];

const PATHS: Record<StaticRoute, string> = {
  front: '/',
  privacy: '/privacy',
  accessibility: '/accessibility',
  threads: '/threads',
  ask: '/ask',
  devices: '/devices',
  notifications: '/notifications',
  mydata: '/mydata',
};

const THREAD_PATH = /^\/thread\/([0-9a-f]{32})$/;
const RIGHTS_PATH = /^\/mydata\/([0-9a-f]{32})$/;

/** The page a location hash names ("", "#", "#/" and anything unknown: the front page). */
export function routeOf(hash: string): Route {
  const path = hash.replace(/^#/, '').replace(/\/+$/, '') || '/';
  const thread = THREAD_PATH.exec(path);
  if (thread !== null) return `thread/${thread[1]}`;
  const rights = RIGHTS_PATH.exec(path);
  if (rights !== null) return `mydata/${rights[1]}`;
  return ROUTES.find((r) => PATHS[r] === path) ?? 'front';
}

/** The hash of a page, for links ("#/privacy", "#/thread/<id>"). */
export function hashOf(route: Route): string {
  return route.startsWith('thread/') || route.startsWith('mydata/') ? '#/' + route : '#' + PATHS[route as StaticRoute];
}

/** The thread a route shows, or null. */
export function threadOf(route: Route): string | null {
  return route.startsWith('thread/') ? route.slice('thread/'.length) : null;
}

/** The thread a rights request route ("mydata/<id>") is about, or null. */
export function rightsThreadOf(route: Route): string | null {
  return route.startsWith('mydata/') ? route.slice('mydata/'.length) : null;
}

/** True for the pages that need a session (one thread and a rights request included). */
export function needsSession(route: Route): boolean {
  return threadOf(route) !== null || rightsThreadOf(route) !== null || LOGGED_IN_ROUTES.includes(route as StaticRoute);
}
