import { CountersignError, isCountersignError } from '../errors';
import type { App } from './app';

/**
 * Errors from the git and notes layers name the directory they worked in — right for the CLI
 * (it is the user's own checkout), wrong for the server, whose clones and data directory are its
 * own business. An error on its way to a client has them replaced by the repository's name.
 */
export function hideServerPaths(e: unknown, app: Pick<App, 'config' | 'repos'>): unknown {
  if (!isCountersignError(e) && !(e instanceof Error)) return e;
  const places: Array<[string, string]> = [];
  for (const [name, repo] of app.repos) places.push([repo.dir, `repository "${name}"`]);
  places.push([app.config.dataDir, "the server's data directory"]);
  places.sort((x, y) => y[0].length - x[0].length); // a clone lies inside the data directory
  let message = e.message;
  for (const [dir, instead] of places) if (dir) message = message.split(dir).join(instead);
  if (message === e.message) return e;
  return isCountersignError(e) ? new CountersignError(e.code, message, { cause: e }) : Object.assign(new Error(message, { cause: e }), { name: e.name });
}
