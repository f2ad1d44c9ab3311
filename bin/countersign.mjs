#!/usr/bin/env node
// The CLI is TypeScript; tsx loads it in-process so there is no build step between a clone and `npx countersign`.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../lib/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
