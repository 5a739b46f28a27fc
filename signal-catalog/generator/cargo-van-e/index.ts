/**
 * Cargo Van E (2025): a light commercial electric van for urban delivery, two classic CAN buses, a 96s pack, a
 * tachograph and a body-builder interface. The smaller, older-architecture counterpart to Aurora.
 */
import type { ModelDefinition } from '../model.js';
import { vanBody } from './body.js';
import { vanPowertrain } from './powertrain.js';

const CATALOG_VERSION = '1.0.0';

export function cargoVanE(): ModelDefinition {
  const version = `cargo-van-e-2025 ${CATALOG_VERSION}`;
  return {
    modelId: 'cargo-van-e-2025',
    displayName: 'Cargo Van E (2025)',
    catalogVersion: CATALOG_VERSION,
    description: 'Light commercial electric van, 3.5 t, rear drive, 96s 350 V pack, 11 kW AC / 80 kW DC charging.',
    buses: [vanPowertrain(version), vanBody(version)],
    aliases: {
      vehicleSpeed: 'powertrain/VCU_Status/VCU_VehicleSpeed',
      gear: 'powertrain/VCU_Status/VCU_Gear',
      readyToDrive: 'powertrain/VCU_Status/VCU_Ready',
      odometer: 'body/IC_Odometer/IC_Odometer',
      soc: 'powertrain/BMS_Pack/BMS_Soc',
      packVoltage: 'powertrain/BMS_Pack/BMS_PackVoltage',
      packCurrent: 'powertrain/BMS_Pack/BMS_PackCurrent',
      cellVoltageMin: 'powertrain/BMS_CellStats/BMS_CellVoltageMin',
      cellVoltageMax: 'powertrain/BMS_CellStats/BMS_CellVoltageMax',
      cellTemperatureMin: 'powertrain/BMS_CellStats/BMS_CellTempMin',
      cellTemperatureMax: 'powertrain/BMS_CellStats/BMS_CellTempMax',
      insulationResistance: 'powertrain/BMS_Limits/BMS_IsolationResistance',
      motorTemperature: 'powertrain/INV_Temperatures/INV_MotorTemp',
      inverterTemperature: 'powertrain/INV_Temperatures/INV_IgbtTemp',
      coolantTemperature: 'powertrain/INV_Temperatures/INV_CoolantTemp',
      brakePressure: 'body/ESC_Brake/ESC_BrakePressure',
      tyrePressureFrontLeft: 'body/BCM_Tpms/BCM_TyrePressureFL',
      tyrePressureFrontRight: 'body/BCM_Tpms/BCM_TyrePressureFR',
      tyrePressureRearLeft: 'body/BCM_Tpms/BCM_TyrePressureRL',
      tyrePressureRearRight: 'body/BCM_Tpms/BCM_TyrePressureRR',
      lowVoltageBatteryVoltage: 'body/BCM_Power/BCM_BatteryVoltage',
      chargingState: 'powertrain/OBC_Status/OBC_ChargeState',
      chargingPower: 'powertrain/OBC_Status/OBC_ChargePower',
      ambientTemperature: 'body/BCM_Power/BCM_AmbientTemp',
      latitude: 'body/TCU_Position/TCU_Latitude',
      longitude: 'body/TCU_Position/TCU_Longitude',
      cargoTemperature: 'body/BBM_CargoStatus/BBM_CargoTemp',
    },
    signalOverrides: {
      'body/TCU_Status/TCU_DriverCardId': {
        staleAfterMs: 0,
        reason: 'The telematics unit stops sending the card id when no driver is logged in; that is not a fault',
      },
    },
  };
}
