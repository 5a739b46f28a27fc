import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  brokerDir,
  createDevicePki,
  issueDeviceCertificate,
  revokeDeviceCertificates,
  runningBrokerPid,
} from '@telltale/registry';
import { TelltaleError } from '@telltale/platform/errors';
import { CliUsageError, type CliIo, type Command } from '../command.js';
import { repoRoot } from '../lib/repo.js';
import { withRegistry } from './registry.js';

const ENVIRONMENT = `Environment: TELLTALE_PKI_DIR (<repo>/.telltale/pki), the directory of the CA, the broker's
certificate, the CRL and devices/<id>.pem|.key (private keys mode 0600); deploy/local/mosquitto/mosquitto.sh
reads the same.`;

function pkiDir(io: CliIo, given: string | undefined): string {
  return given ?? io.env.TELLTALE_PKI_DIR ?? join(repoRoot(), '.telltale', 'pki');
}

type Options = NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>['options']>;

function parse(args: readonly string[], options: Options): Record<string, unknown> {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: false, strict: true }).values;
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
}

function days(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 3650)
    throw new CliUsageError(`--days must be an integer in 1..3650, got "${value}"`);
  return n;
}

/** SIGHUP to the project-managed Mosquitto, so it reloads the CRL; false when none runs. */
function reloadBroker(io: CliIo): boolean {
  const pid = runningBrokerPid(brokerDir(io.env).dir);
  if (pid === undefined) return false;
  process.kill(pid, 'SIGHUP');
  return true;
}

export const certsCommands: readonly Command[] = [
  {
    path: ['certs', 'ca'],
    summary: 'Create the development device CA, the broker certificate and an empty CRL (mutual TLS for T-Boxes)',
    usage: `Usage: telltale certs ca [--host <name or IP>]... [--dir <dir>]

Creates a project CA (EC P-256, with the openssl command), a server certificate for the broker's TLS listener
(localhost, 127.0.0.1 and each --host) and an empty CRL. An existing CA is kept (devices hold certificates from
it); the server certificate is reissued. Then restart the authenticating Mosquitto
(deploy/local/mosquitto/mosquitto.sh stop; ... start) to open its mutual-TLS listener (MQTT_TLS_PORT, 8883).
${ENVIRONMENT}`,
    run: async (args, io) => {
      const v = parse(args, { host: { type: 'string', multiple: true }, dir: { type: 'string' } });
      const dir = pkiDir(io, v.dir as string | undefined);
      const { paths, created } = await createDevicePki(dir, { hosts: (v.host as string[] | undefined) ?? [] });
      io.stdout.write(
        `${created ? 'Created the CA' : 'Kept the existing CA'} ${paths.caCert}; ` +
          `broker certificate ${paths.serverCert}; CRL ${paths.crl}.\n`,
      );
      return 0;
    },
  },
  {
    path: ['certs', 'issue'],
    summary: "Issue a device's client certificate (CN = device id) from the project CA",
    usage: `Usage: telltale certs issue --device <device id> [--days N] [--dir <dir>]

Issues a client certificate whose subject CN is the device id, with a new private key (mode 0600), into
<dir>/devices/<id>.pem and .key. The device must be an enabled device in the registry (DATABASE_URL,
DATABASE_SCHEMA): the broker lets it publish only to its bound VIN after \`telltale broker sync\`. --days: validity
(default 365). ${ENVIRONMENT}`,
    run: async (args, io) => {
      const v = parse(args, { device: { type: 'string' }, days: { type: 'string' }, dir: { type: 'string' } });
      const deviceId = v.device as string | undefined;
      if (deviceId === undefined) throw new CliUsageError('--device is required');
      const validity = days(v.days as string | undefined, 365);
      const devices = await withRegistry(io, (registry) => registry.listBrokerDevices());
      const device = devices.find((d) => d.deviceId === deviceId);
      if (device === undefined) {
        throw new TelltaleError(
          'DEVICE_NOT_FOUND',
          `--device ${deviceId} is not an enabled device in the registry; add it (telltale vehicles import) first.`,
          { details: { deviceId } },
        );
      }
      const issued = await issueDeviceCertificate(pkiDir(io, v.dir as string | undefined), deviceId, {
        days: validity,
      });
      io.stdout.write(
        `Issued ${issued.certFile} (key ${issued.keyFile}) for device ${deviceId}, VIN ${device.vin}: serial ` +
          `${issued.serial}, SHA-256 ${issued.sha256Fingerprint}, valid to ${issued.validTo.toISOString()}.\n`,
      );
      return 0;
    },
  },
  {
    path: ['certs', 'revoke'],
    summary: "Revoke a device's certificates, regenerate the CRL and reload the broker",
    usage: `Usage: telltale certs revoke --device <device id> [--dir <dir>]

Revokes every valid certificate issued to the device, regenerates <dir>/crl.pem and sends SIGHUP to the
project-managed Mosquitto (MQTT_AUTH_PORT, MOSQUITTO_DIR) so new connections with those certificates are refused.
A connection already open stays open until it reconnects: disable the device in the registry and run
\`telltale broker sync\` to stop its publishes at once. ${ENVIRONMENT}`,
    run: async (args, io) => {
      const v = parse(args, { device: { type: 'string' }, dir: { type: 'string' } });
      const deviceId = v.device as string | undefined;
      if (deviceId === undefined) throw new CliUsageError('--device is required');
      const serials = await revokeDeviceCertificates(pkiDir(io, v.dir as string | undefined), deviceId);
      const reloaded = reloadBroker(io);
      io.stdout.write(`Revoked ${serials.length} certificate(s) of ${deviceId}: ${serials.join(', ')}.\n`);
      io.stderr.write(
        reloaded
          ? 'Mosquitto reloaded the CRL.\n'
          : 'No authenticating Mosquitto running: it reads the CRL at start.\n',
      );
      return 0;
    },
  },
];
