export { startGateway, runGateway, type RunningGateway } from './main.js';
export { GatewayConfig } from './config.js';
