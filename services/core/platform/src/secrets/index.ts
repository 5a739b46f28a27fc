/**
 * Secrets at rest (`@telltale/platform/secrets`): AES-256-GCM sealing under SECRETS_KEY with key ids for rotation
 * (secret-box.ts), and the keyring every service that seals or opens secrets loads from the same settings
 * (keyring-config.ts). Today these are webhook secrets: the API seals them, the notifier opens them to sign.
 */
import { env } from '../config.js';

export {
  keyringOf,
  openSecret,
  parseSecretsKey,
  sealSecret,
  secretsKeyId,
  type Keyring,
  type SealedSecret,
  type SecretsKey,
} from './secret-box.js';
export { DEV_KEY_FILE, loadKeyring, type SecretsSettings } from './keyring-config.js';

/** The settings of the keyring, one spec for every service that needs it. */
export const secretsConfig = {
  secretsKey: env.string('SECRETS_KEY', {
    description: 'key encrypting secrets at rest (webhook secrets): 32 bytes, hex or base64; the same in every service',
    default: '-',
  }),
  secretsPreviousKeys: env.string('SECRETS_PREVIOUS_KEYS', {
    description: 'earlier SECRETS_KEYs, comma-separated: still open secrets, which are re-sealed at start ("-": none)',
    default: '-',
  }),
  nodeEnv: env.string('NODE_ENV', {
    description: 'development or test allow a generated key in .telltale/secrets.key when SECRETS_KEY is not set',
    default: 'production',
  }),
} as const;
