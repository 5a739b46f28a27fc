/**
 * Aurora EV (2026): a premium dual-motor electric SUV with a 108s battery, five CAN buses (three of them CAN FD)
 * and about seventy ECUs. Names, frame layouts and values are our own, modelled on production matrices.
 */
import type { ModelDefinition } from '../model.js';
import { auroraAdas } from './adas.js';
import { auroraBms } from './bms.js';
import { auroraBody } from './body.js';
import { auroraChassis } from './chassis.js';
import { auroraPowertrain } from './powertrain.js';

const CATALOG_VERSION = '1.0.0';

export function auroraEv(): ModelDefinition {
  const version = `aurora-ev-2026 ${CATALOG_VERSION}`;
  return {
    modelId: 'aurora-ev-2026',
    displayName: 'Aurora EV (2026)',
    catalogVersion: CATALOG_VERSION,
    description:
      'Premium dual-motor electric SUV: 108s 400 V pack in 12 modules, 22 kW AC / 350 kW DC charging, heat pump, ' +
      'air suspension, radar/camera/lidar driver assistance.',
    buses: [
      auroraPowertrain(version),
      auroraChassis(version),
      auroraBody(version),
      auroraBms(version),
      auroraAdas(version),
    ],
    aliases: {
      vehicleSpeed: 'powertrain/VCU_VehicleStatus/VCU_VehicleSpeed',
      gear: 'powertrain/VCU_VehicleStatus/VCU_GearActual',
      readyToDrive: 'powertrain/VCU_VehicleStatus/VCU_ReadyToDrive',
      odometer: 'powertrain/VCU_Odometer/VCU_Odometer',
      soc: 'bms/BMS_Soc/BMS_SocDisplayed',
      packVoltage: 'bms/BMS_PackStatus/BMS_PackVoltage',
      packCurrent: 'bms/BMS_PackStatus/BMS_PackCurrent',
      cellVoltageMin: 'bms/BMS_CellStats/BMS_CellVoltageMin',
      cellVoltageMax: 'bms/BMS_CellStats/BMS_CellVoltageMax',
      cellTemperatureMin: 'bms/BMS_CellStats/BMS_CellTempMin',
      cellTemperatureMax: 'bms/BMS_CellStats/BMS_CellTempMax',
      insulationResistance: 'bms/IMD_Isolation/IMD_ResistanceMin',
      motorTemperature: 'powertrain/INVR_Temperatures/INVR_StatorTempMax',
      motorTemperatureFront: 'powertrain/INVF_Temperatures/INVF_StatorTempMax',
      inverterTemperature: 'powertrain/INVR_Temperatures/INVR_IgbtTempMax',
      inverterTemperatureFront: 'powertrain/INVF_Temperatures/INVF_IgbtTempMax',
      coolantTemperature: 'powertrain/TMS_CoolantTemps/TMS_TempMotorLoopIn',
      brakePressure: 'chassis/IBC_BrakePressure/IBC_MasterCylPressure',
      tyrePressureFrontLeft: 'chassis/TPMS_Pressures/TPMS_PressureFL',
      tyrePressureFrontRight: 'chassis/TPMS_Pressures/TPMS_PressureFR',
      tyrePressureRearLeft: 'chassis/TPMS_Pressures/TPMS_PressureRL',
      tyrePressureRearRight: 'chassis/TPMS_Pressures/TPMS_PressureRR',
      lowVoltageBatteryVoltage: 'body/IBS_Battery12V/IBS_BatteryVoltage',
      chargingState: 'powertrain/CCU_ChargeStatus/CCU_ChargeState',
      chargingPower: 'powertrain/CCU_ChargeStatus/CCU_ChargePower',
      ambientTemperature: 'body/BCM_Environment/BCM_AmbientTemp',
      latitude: 'body/TCU_Position/TCU_Latitude',
      longitude: 'body/TCU_Position/TCU_Longitude',
    },
    signalOverrides: {
      'body/TCU_Position/TCU_Latitude': {
        staleAfterMs: 30_000,
        reason: 'GNSS drops out in tunnels and garages; the last fix stays useful for half a minute',
      },
      'body/TCU_Position/TCU_Longitude': {
        staleAfterMs: 30_000,
        reason: 'GNSS drops out in tunnels and garages; the last fix stays useful for half a minute',
      },
    },
  };
}
