export { startGateway, runGateway, type RunningGateway } from './main.js';
export { GatewayConfig } from './config.js';
export { HEADER as UPLINK_HEADERS } from './adapters/kafka-sink.js';
