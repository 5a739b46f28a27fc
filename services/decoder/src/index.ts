export { startDecoder, runDecoder, type RunningDecoder } from './main.js';
export { DecoderConfig } from './config.js';
