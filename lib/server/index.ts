/**
 * Server-side service functions for pages and route handlers (server only: never import this
 * from a client component). View models are in ./types.
 */
export { getApp, type App } from './app';
export { getSessionUser } from './session';
export { getReview } from './review';
export { getChangeReview, resolveChange, resolveReviewRevision } from './change';
export { getInbox, listRepositories } from './inbox';
export { approveOptions, approveVerify } from './approve';
export { createRequest } from './requests';
export { allowedSignersFile } from './signers';
export { listDevices, renameDevice, revokeDevice } from '../auth/devices';
export type * from './types';
