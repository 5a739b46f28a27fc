/**
 * Renders the MQTT broker's authentication and authorisation from the registry: one user per vehicle (user name =
 * VIN, the enabled device's credential) and ACL patterns so a device can publish only under its own VIN.
 */
export interface BrokerDevice {
  readonly vin: string;
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
