/** ISO 3779 VIN: 17 characters, digits and capital letters except I, O and Q. */
const VIN = /^[A-HJ-NPR-Z0-9]{17}$/;

export function isValidVin(vin: string): boolean {
  return VIN.test(vin);
}

/** The VIN in an uplink topic `tbox/{vin}/telemetry` (with any prefix before `tbox`), or undefined. */
export function vinFromTopic(topic: string): string | undefined {
  const parts = topic.split('/');
  const i = parts.lastIndexOf('telemetry');
  return i >= 1 ? parts[i - 1] : undefined;
}
