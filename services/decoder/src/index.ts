export { startDecoder, runDecoder, type RunningDecoder } from './main.js';
export { DecoderConfig } from './config.js';
export { HEADER as DECODER_HEADERS } from './decode-records.js';
