/** Registry parts the simulator uses. */
export {
  PgRegistry,
  syncBroker,
  brokerDir,
  type ImportResult,
  type VehicleImportRow,
  type BrokerSyncResult,
} from '@telltale/registry';
