/** A two-bus test catalog for unit tests: both buses use CAN id 0x100 for different messages. */
import { parseDbc } from '@telltale/dbc';
import {
  assignSignalIds,
  buildCatalog,
  catalogKeys,
  compileCatalog,
  formatSignalIds,
  type CompiledCatalog,
} from '@telltale/catalog';

// Two buses that both use CAN id 0x100 for different messages: dispatch must go by bus.
const POWERTRAIN = `VERSION ""
BU_: VCU
BO_ 256 Speed: 8 VCU
 SG_ VehicleSpeed : 0|16@1+ (0.01,0) [0|300] "km/h" VCU
 SG_ Gear : 16|3@1+ (1,0) [0|7] "" VCU
BA_DEF_ BO_ "GenMsgCycleTime" INT 0 10000;
BA_ "GenMsgCycleTime" BO_ 256 10;
`;
const BMS = `VERSION ""
BU_: BMS
BO_ 256 Pack: 8 BMS
 SG_ PackVoltage : 0|16@1+ (0.1,0) [0|1000] "V" BMS
BA_DEF_ BO_ "GenMsgCycleTime" INT 0 10000;
BA_ "GenMsgCycleTime" BO_ 256 100;
`;

export function testCatalog(): CompiledCatalog {
  const manifest = {
    modelId: 'test-car',
    displayName: 'Test car',
    catalogVersion: '1.0.0',
    buses: [
      { index: 0, name: 'powertrain', dbc: 'pt.dbc', bitrate: 500000, fd: false },
      { index: 3, name: 'bms', dbc: 'bms.dbc', bitrate: 500000, fd: false },
    ],
  };
  const buses = [
    { name: 'powertrain', database: parseDbc(POWERTRAIN).database },
    { name: 'bms', database: parseDbc(BMS).database },
  ];
  const ids = assignSignalIds(undefined, catalogKeys(buses), { modelId: 'test-car', catalogVersion: '1.0.0' });
  const catalog = buildCatalog({
    manifest: JSON.stringify(manifest),
    signalIds: formatSignalIds(ids),
    dbcFiles: new Map([
      ['pt.dbc', POWERTRAIN],
      ['bms.dbc', BMS],
    ]),
  });
  return compileCatalog(catalog);
}
