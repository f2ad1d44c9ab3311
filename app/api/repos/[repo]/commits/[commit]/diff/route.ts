import { getDiff, parseDiffQuery } from '@/lib/server/diff-api';
import { param, route } from '@/lib/server/http';

export const runtime = 'nodejs';

type P = { repo: string; commit: string };

/**
 * The review page's diff on request: `?files=N` a page of the file list, `?path=P[&old=O]&start=N`
 * a chunk of one file's diff; `&base=<full id>` for a change. Readable as the review page is.
 */
export const GET = route<undefined, P>({ auth: 'optional' }, async ({ app, viewer, params, req }) => {
  const query = parseDiffQuery(new URL(req.url).searchParams);
  return getDiff(app, param(params, 'repo'), param(params, 'commit'), viewer, query);
});
