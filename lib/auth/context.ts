import type { Config } from '../config/config';
import type { Db } from '../store/db';

/** What authentication needs of the running app: its configuration and its database. */
export interface AuthContext {
  config: Config;
  db: Db;
}

/** 401 rather than 403: the caller is not signed in (or the session ended). */
export class AuthRequiredError extends Error {
  constructor(message = 'sign in first') {
    super(message);
    this.name = 'AuthRequiredError';
  }
}
