#!/usr/bin/env node
// `parley` on the PATH (npm's bin link): runs the TypeScript CLI through tsx in this process.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/parley.ts');
