/**
 * Renders the MQTT broker's authentication and authorisation from the registry: one user per vehicle (user name =
 * VIN, the enabled device's credential) and ACL patterns so a device can publish only under its own VIN; and, for
 * the mutual-TLS listener, where the user name is the certificate's CN (the device id), one ACL entry per enabled
 * device naming its VIN's topics.
 */
export interface BrokerDevice {
  readonly vin: string;
  readonly deviceId: string;
  readonly credentialHash: string;
}

export interface BrokerService {
  /** Service account, e.g. the gateway, which reads every vehicle's uplink. */
  readonly username: string;
  readonly credentialHash: string;
  readonly read: readonly string[];
  readonly write: readonly string[];
}

export function renderPasswordFile(devices: readonly BrokerDevice[], services: readonly BrokerService[]): string {
  const lines = [
    ...services.map((s) => `${s.username}:${s.credentialHash}`),
    ...devices.map((d) => `${d.vin}:${d.credentialHash}`),
  ];
  return lines.join('\n') + '\n';
}

export function renderAclFile(services: readonly BrokerService[], uplinkTopic = 'tbox/%u/telemetry'): string {
  const out = ['# Generated from the Telltale registry by `telltale broker sync`. Do not edit.', ''];
  for (const s of services) {
    out.push(`user ${s.username}`);
    for (const t of s.read) out.push(`topic read ${t}`);
    for (const t of s.write) out.push(`topic write ${t}`);
    out.push('');
  }
  out.push('# Devices: user name = VIN; each may publish only its own uplink and read its own downlink.');
  out.push(`pattern write ${uplinkTopic}`);
  out.push('pattern read tbox/%u/commands/#');
  return out.join('\n') + '\n';
}

/**
 * The ACL of the mutual-TLS listener (`use_identity_as_username`: user = certificate CN = device id). No patterns:
 * a device id is never a topic level, so each enabled device gets its own VIN's topics spelled out, and a device
 * that is disabled or rebound to another VIN loses the old VIN at the next sync. `uplinkTopic` uses %v for the VIN.
 */
export function renderCertificateAclFile(
  devices: readonly Pick<BrokerDevice, 'vin' | 'deviceId'>[],
  uplinkTopic = 'tbox/%v/telemetry',
): string {
  const out = [
    '# Generated from the Telltale registry by `telltale broker sync`. Do not edit.',
    '# Mutual-TLS listener: user name = device id (certificate CN); each device may publish only its own VIN.',
    '',
  ];
  for (const d of devices) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/.test(d.deviceId) || !/^[A-HJ-NPR-Z0-9]{17}$/.test(d.vin)) continue;
    out.push(`user ${d.deviceId}`);
    out.push(`topic write ${uplinkTopic.replace('%v', d.vin)}`);
    out.push(`topic read tbox/${d.vin}/commands/#`);
    out.push('');
  }
  return out.join('\n') + '\n';
}
