/** `npm run console:build`: builds the console into services/console/dist (`--force` even when current). */
import { ensureConsoleBuilt } from './build.js';

const result = await ensureConsoleBuilt({ force: process.argv.includes('--force') });
process.stdout.write(
  result.built ? `Console built in ${result.ms} ms: ${result.dir}\n` : `Console is current: ${result.dir}\n`,
);
