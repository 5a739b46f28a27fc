export { startNotifier, runNotifier, type RunningNotifier } from './main.js';
export { NotifierConfig } from './config.js';
export { signatureHeader, verifySignature, SIGNATURE_HEADER } from './domain/signature.js';
export { deliveryIdOf } from './domain/subscription.js';
export {
  HttpWebhookSender,
  type SenderLimits,
  type WebhookRequest,
  type Resolver,
} from './adapters/http-webhook-sender.js';
export { targetPolicy, type TargetPolicy } from './domain/target-policy.js';
export { RedisAlertStreamPublisher } from './adapters/redis-alert-stream-publisher.js';
