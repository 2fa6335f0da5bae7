import type { MigrationInterface } from 'typeorm';
import { Initial1795624361245 } from './1795624361245-initial.js';

/** Every migration, oldest first. Never edit a landed migration: add a new one at the end. */
export const MIGRATIONS: (new () => MigrationInterface)[] = [Initial1795624361245];
