export { isValidVin, vinFromTopic } from './vin.js';
export { generateDeviceSecret, hashDeviceSecret, verifyDeviceSecret, DEFAULT_ITERATIONS } from './credentials.js';
export {
  renderPasswordFile,
  renderAclFile,
  renderCertificateAclFile,
  type BrokerDevice,
  type BrokerService,
} from './broker-auth.js';
export { parseVehicleCsv, type VehicleImportRow } from './vehicle-csv.js';
export {
  PgRegistry,
  type VehicleRecord,
  type ImportResult,
  type FleetRecord,
  type DeviceRecord,
  type NewVehicle,
  type VehicleChanges,
} from './pg-registry.js';
export { RegistryCache } from './registry-cache.js';
export {
  syncBroker,
  brokerDir,
  runningBrokerPid,
  brokerSyncConfig,
  type BrokerSyncOptions,
  type BrokerSyncResult,
} from './broker-sync.js';
export {
  createDevicePki,
  issueDeviceCertificate,
  revokeDeviceCertificates,
  devicePkiPaths,
  assertCertificateDeviceId,
  type DevicePkiPaths,
  type IssuedCertificate,
} from './device-pki.js';
