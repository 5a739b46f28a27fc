import type { Command } from '../command.js';
import { infraCommands } from './infra.js';
import { topicsCommands } from './topics.js';
import { registryCommands } from './registry.js';
import { serviceCommands } from './services.js';
import { dbcCommands } from './dbc.js';
import { benchCommands } from './bench.js';
import { catalogCommands } from './catalog.js';
import { simulateCommands } from './simulate.js';
import { replayCommands } from './replay.js';
import { apiCommands } from './api.js';
import { rulesCommands } from './rules.js';
import { startCommands } from './start.js';
import { certsCommands } from './certs.js';
import { archiveCommands } from './archive.js';
import { loadtestCommands } from './loadtest.js';
import { featuresCommands } from './features.js';
import { modelCommands } from './model.js';
import { backtestCommands } from './backtest.js';

/** Every subcommand of `telltale`; each service or tool adds its module here. */
export const commands: readonly Command[] = [
  ...infraCommands,
  ...topicsCommands,
  ...registryCommands,
  ...serviceCommands,
  ...dbcCommands,
  ...benchCommands,
  ...catalogCommands,
  ...simulateCommands,
  ...replayCommands,
  ...apiCommands,
  ...rulesCommands,
  ...startCommands,
  ...certsCommands,
  ...archiveCommands,
  ...loadtestCommands,
  ...featuresCommands,
  ...modelCommands,
  ...backtestCommands,
];
