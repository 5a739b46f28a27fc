/**
 * Makes the project-managed, authenticating Mosquitto (deploy/local/mosquitto/mosquitto.sh) agree with the registry:
 * writes <dir>/passwd (user = VIN with the enabled device's PBKDF2 credential, plus the gateway's service account)
 * and <dir>/acl (a device may publish only to tbox/<its VIN>/telemetry), and <dir>/acl-tls for the mutual-TLS
 * listener (user = device id from the certificate CN, allowed only its bound VIN's topics), then sends the broker
 * SIGHUP so it reloads them. Used by `telltale broker sync` and by `telltale simulate --provision`.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { env, loadConfig } from '@telltale/platform';
import { TelltaleError } from '@telltale/platform/errors';
import { renderAclFile, renderCertificateAclFile, renderPasswordFile } from './broker-auth.js';
import { generateDeviceSecret, hashDeviceSecret } from './credentials.js';
import type { BrokerDevice } from './broker-auth.js';

export const brokerSyncConfig = {
  authPort: env.integer('MQTT_AUTH_PORT', {
    description: 'port of the project-managed Mosquitto',
    default: '1884',
    min: 1,
    max: 65535,
  }),
  mosquittoDir: env.string('MOSQUITTO_DIR', { description: 'its directory (config, passwd, acl)', default: '-' }),
  serviceUser: env.string('MQTT_SERVICE_USERNAME', {
    description: 'broker account of the gateway',
    default: 'telltale-gateway',
  }),
  servicePassword: env.string('MQTT_SERVICE_PASSWORD', {
    description: 'its password; generated into <dir>/service.secret when absent',
    default: '-',
  }),
} as const;

export interface BrokerSyncOptions {
  /** Environment with the settings above (and TELLTALE_LOCAL_DIR / XDG_CACHE_HOME for the default directory). */
  readonly env: NodeJS.ProcessEnv;
  /** The registry's enabled devices (PgRegistry.listBrokerDevices()). */
  readonly devices: readonly BrokerDevice[];
  /** Send SIGHUP to the running broker (default true); when false, or `'if-running'` and none runs, files only. */
  readonly reload?: boolean | 'if-running';
}

export interface BrokerSyncResult {
  readonly dir: string;
  readonly port: number;
  readonly devices: number;
  readonly reloaded: boolean;
}

/** The authenticating broker's directory for these settings. */
export function brokerDir(source: NodeJS.ProcessEnv): { dir: string; port: number } {
  const config = loadConfig(brokerSyncConfig, source);
  const localDir = source.TELLTALE_LOCAL_DIR ?? join(source.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'telltale');
  return {
    dir: config.mosquittoDir === '-' ? join(localDir, `mosquitto-${config.authPort}`) : config.mosquittoDir,
    port: config.authPort,
  };
}

export function runningBrokerPid(dir: string): number | undefined {
  const file = join(dir, 'mosquitto.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

export function syncBroker(options: BrokerSyncOptions): BrokerSyncResult {
  const config = loadConfig(brokerSyncConfig, options.env);
  const { dir, port } = brokerDir(options.env);
  mkdirSync(dir, { recursive: true });
  let password = config.servicePassword;
  const secretFile = join(dir, 'service.secret');
  if (password === '-') {
    if (!existsSync(secretFile)) writeFileSync(secretFile, `${generateDeviceSecret()}\n`, { mode: 0o600 });
    password = readFileSync(secretFile, 'utf8').trim();
  }
  const service = {
    username: config.serviceUser,
    credentialHash: hashDeviceSecret(password),
    read: ['tbox/+/telemetry', '$share/+/tbox/+/telemetry'],
    write: ['tbox/+/commands/#'],
  };
  const passwd = join(dir, 'passwd');
  writeFileSync(passwd, renderPasswordFile(options.devices, [service]), { mode: 0o600 });
  chmodSync(passwd, 0o600);
  writeFileSync(join(dir, 'acl'), renderAclFile([service]));
  writeFileSync(join(dir, 'acl-tls'), renderCertificateAclFile(options.devices));

  const reload = options.reload ?? true;
  let reloaded = false;
  if (reload !== false) {
    const pid = runningBrokerPid(dir);
    if (pid === undefined) {
      if (reload === true) {
        throw new TelltaleError(
          'BROKER_NOT_RUNNING',
          `No authenticating Mosquitto runs for ${dir}; start it with deploy/local/mosquitto/mosquitto.sh start.`,
          {
            details: { dir },
          },
        );
      }
    } else {
      process.kill(pid, 'SIGHUP');
      reloaded = true;
    }
  }
  return { dir, port, devices: options.devices.length, reloaded };
}
