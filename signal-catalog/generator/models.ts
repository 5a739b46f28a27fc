/** Every model the generator writes, by directory name under signal-catalog/. */
import { auroraEv } from './aurora-ev/index.js';
import { cargoVanE } from './cargo-van-e/index.js';
import type { ModelDefinition } from './model.js';

export const MODELS: readonly (() => ModelDefinition)[] = [auroraEv, cargoVanE];
