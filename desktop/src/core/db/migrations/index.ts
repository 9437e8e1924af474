// Every migration, in order. Add a new file NNN-name.ts and append it here; never edit
// one that has shipped (a database that already ran it would not run it again).
import type { Migration } from '../migrate.ts';
import { migration001 } from './001-initial.ts';
import { migration002 } from './002-search-index.ts';

export const MIGRATIONS: readonly Migration[] = [migration001, migration002];
