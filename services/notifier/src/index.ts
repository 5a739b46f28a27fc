export { startNotifier, runNotifier, type RunningNotifier } from './main.js';
export { NotifierConfig } from './config.js';
export { signatureHeader, verifySignature, SIGNATURE_HEADER } from './domain/signature.js';
export { deliveryIdOf } from './domain/subscription.js';
