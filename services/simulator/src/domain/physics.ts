/**
 * The vehicle model behind the simulated signals, stepped at a fixed tick (100 ms):
 *
 * - longitudinal dynamics: driver acceleration → road load (inertia, aerodynamic drag, rolling resistance) → wheel
 *   power → battery power through drive/regen efficiencies, plus auxiliary load (HVAC grows with |ambient − 21 °C|);
 * - traction battery: cells in series, each with its own capacity, resistance and state of charge; the pack current
 *   solves P = V·I with V = Σ OCV(soc) − I·R − polarisation, so voltage, current and power stay consistent; cell
 *   voltage = OCV(cell SOC) − I·R(T) − polarisation (IR drop under load, recovery at rest);
 * - temperatures: cells heat with I²R and relax to the battery coolant; motors and inverters heat with their
 *   losses and relax to the motor coolant loop, which a radiator cools toward ambient (better with speed);
 *   tyres warm with speed, and their pressure follows (ideal gas);
 * - charging: below 12 % the vehicle stops at a DC charger and charges (tapering above 50 %) to 80 %.
 *
 * Faults act here: a cell leak (soft internal short) pulls one cell's voltage down; a hot spot ramps one
 * module's cell temperatures up. Slowly developing faults grow over hours: a self-discharging cell (its leak
 * accelerates), a wearing coolant pump (the motor loop's heat rejection falls), a tyre leaking slowly (its cold
 * pressure falls, faster and faster).
 */
import { openCircuitVoltage, resistanceFactor } from './battery.js';
import { DriveCycle, type RoadPhase } from './drive-cycle.js';
import { Rng } from './rng.js';

export interface VehicleSpec {
  readonly massKg: number;
  /** Drag coefficient × frontal area, m². */
  readonly dragAreaM2: number;
  readonly rollingResistance: number;
  readonly driveEfficiency: number;
  readonly regenEfficiency: number;
  readonly maxDrivePowerKw: number;
  readonly maxRegenPowerKw: number;
  /** Share of traction per motor (front, rear, ...). */
  readonly motorShares: readonly number[];
  readonly gearRatio: number;
  readonly wheelRadiusM: number;
  readonly cellsInSeries: number;
  readonly modules: number;
  /** Temperature sensors of the cells (one per cell on some packs, a few per module on others). */
  readonly cellTempSensors: number;
  readonly capacityAh: number;
  readonly cellResistanceOhm: number;
  readonly tyreColdKpa: number;
  readonly auxBaseKw: number;
  readonly dcChargeKw: number;
}

export const AURORA_SPEC: VehicleSpec = {
  massKg: 2450,
  dragAreaM2: 0.62,
  rollingResistance: 0.009,
  driveEfficiency: 0.9,
  regenEfficiency: 0.85,
  maxDrivePowerKw: 390,
  maxRegenPowerKw: 200,
  motorShares: [0.4, 0.6],
  gearRatio: 9.1,
  wheelRadiusM: 0.37,
  cellsInSeries: 108,
  modules: 12,
  cellTempSensors: 108,
  capacityAh: 232,
  cellResistanceOhm: 0.0009,
  tyreColdKpa: 260,
  auxBaseKw: 0.6,
  dcChargeKw: 250,
};

export const VAN_SPEC: VehicleSpec = {
  massKg: 3100,
  dragAreaM2: 1.25,
  rollingResistance: 0.011,
  driveEfficiency: 0.88,
  regenEfficiency: 0.8,
  maxDrivePowerKw: 150,
  maxRegenPowerKw: 80,
  motorShares: [1],
  gearRatio: 10.5,
  wheelRadiusM: 0.35,
  cellsInSeries: 96,
  modules: 8,
  cellTempSensors: 16,
  capacityAh: 200,
  cellResistanceOhm: 0.0008,
  tyreColdKpa: 400,
  auxBaseKw: 0.5,
  dcChargeKw: 80,
};

export const WHEELS = ['FL', 'FR', 'RL', 'RR'] as const;

export type Gear = 'P' | 'R' | 'N' | 'D';
export type ChargeState = 'NotConnected' | 'ChargingDC' | 'Complete';

/** Everything the signal bindings read. Units are in the names. */
export interface PhysicsState {
  timeS: number;
  phase: RoadPhase;
  speedKmh: number;
  accelMps2: number;
  latAccelMps2: number;
  yawRateDps: number;
  steeringAngleDeg: number;
  headingDeg: number;
  latitudeDeg: number;
  longitudeDeg: number;
  odometerKm: number;
  tripKm: number;
  gear: Gear;
  ready: boolean;
  powerMode: 'Off' | 'Ready' | 'Drive' | 'Charge';
  accelPedalPct: number;
  brakePressed: boolean;
  brakePressureBar: number;
  /** Mechanical power at the wheels (negative when braking), kW. */
  wheelPowerKw: number;
  motorSpeedRpm: number;
  motorTorqueNm: Float64Array;
  motorPowerKw: Float64Array;
  motorTempC: Float64Array;
  inverterTempC: Float64Array;
  /** Motor inverter DC current per motor, A. */
  motorCurrentA: Float64Array;
  auxPowerKw: number;
  /** Battery terminal power, kW (positive discharging). */
  packPowerKw: number;
  packVoltageV: number;
  /** Positive discharging, negative charging. */
  packCurrentA: number;
  socPct: number;
  sohPct: number;
  energyFullKwh: number;
  energyRemainingKwh: number;
  rangeKm: number;
  cellSocPct: Float64Array;
  cellVoltageV: Float64Array;
  cellTempC: Float64Array;
  moduleVoltageV: Float64Array;
  moduleTempC: Float64Array;
  moduleTempMaxC: Float64Array;
  cellVoltageMinV: number;
  cellVoltageMaxV: number;
  cellVoltageAvgV: number;
  /** 1-based cell numbers, as BMS frames report them. */
  cellVoltageMinId: number;
  cellVoltageMaxId: number;
  cellTempMinC: number;
  cellTempMaxC: number;
  cellTempAvgC: number;
  cellTempMinId: number;
  cellTempMaxId: number;
  insulationKohm: number;
  ambientC: number;
  batteryCoolantC: number;
  motorCoolantC: number;
  tyrePressureKpa: Float64Array;
  tyreTempC: Float64Array;
  lvBatteryV: number;
  lvCurrentA: number;
  chargeState: ChargeState;
  chargePowerKw: number;
}

export interface PhysicsOptions {
  readonly seed: number | string;
  readonly label: string;
  readonly ambientC?: number;
  readonly initialSocPct?: number;
}

const G = 9.81;
const AIR_DENSITY = 1.2;
const CELL_HEAT_CAPACITY_J_PER_K = 1100;
const CELL_COOLING_W_PER_K = 3.5;

export class VehiclePhysics {
  readonly state: PhysicsState;
  private readonly rng: Rng;
  private readonly driver: DriveCycle;
  private readonly cellCapacityAh: Float64Array;
  private readonly cellResistance: Float64Array;
  /** Extra voltage drop per cell (soft internal short), V, and how fast it grows, V/s. */
  private readonly cellLeakV: Float64Array;
  private readonly cellLeakRateVps: Float64Array;
  /** Modules with a hot spot: temperature ramp in °C/s. */
  private readonly moduleHeatingCps: Float64Array;
  /** Self-discharge: how fast each cell's leak rate grows, V/s². */
  private readonly cellLeakGrowthVps2: Float64Array;
  /** Coolant pump wear: share of the pump's flow lost per second, and the flow left (1 = new). */
  private pumpWearPerS = 0;
  private pumpFlow = 1;
  /** Tyre slow leak per wheel: how fast the leak grows, kPa/s². */
  private readonly tyreLeakGrowthKpaPs2 = new Float64Array(4);
  private readonly tyreLeakRateKpaPs = new Float64Array(4);
  private polarisationV = 0;
  private readonly tyreColdKpa: Float64Array;
  private readonly wheelSlip: Float64Array;
  private parkedS = 0;

  constructor(
    readonly spec: VehicleSpec,
    options: PhysicsOptions,
  ) {
    this.rng = Rng.derive(options.seed, options.label, 'physics');
    this.driver = new DriveCycle(Rng.derive(options.seed, options.label, 'driver'));
    const n = spec.cellsInSeries;
    const ambientC = options.ambientC ?? Math.round(this.rng.range(2, 30));
    const soc0 = options.initialSocPct ?? this.rng.range(45, 95);
    this.cellCapacityAh = Float64Array.from({ length: n }, () => spec.capacityAh * (1 + 0.005 * this.rng.normal()));
    this.cellResistance = Float64Array.from(
      { length: n },
      () => spec.cellResistanceOhm * (1 + 0.015 * this.rng.normal()),
    );
    this.cellLeakV = new Float64Array(n);
    this.cellLeakRateVps = new Float64Array(n);
    this.cellLeakGrowthVps2 = new Float64Array(n);
    this.moduleHeatingCps = new Float64Array(spec.modules);
    this.tyreColdKpa = Float64Array.from(WHEELS, () => spec.tyreColdKpa + this.rng.range(-8, 4));
    this.wheelSlip = Float64Array.from(WHEELS, () => this.rng.range(-0.004, 0.004));
    const motors = spec.motorShares.length;
    const soh = this.rng.range(91, 99.5);
    const startLat = 48.137 + this.rng.range(-0.15, 0.15);
    const startLon = 11.575 + this.rng.range(-0.2, 0.2);
    this.state = {
      timeS: 0,
      phase: 'park',
      speedKmh: 0,
      accelMps2: 0,
      latAccelMps2: 0,
      yawRateDps: 0,
      steeringAngleDeg: 0,
      headingDeg: this.rng.range(0, 360),
      latitudeDeg: startLat,
      longitudeDeg: startLon,
      odometerKm: Math.round(this.rng.range(800, 90000)),
      tripKm: 0,
      gear: 'P',
      ready: false,
      powerMode: 'Off',
      accelPedalPct: 0,
      brakePressed: true,
      brakePressureBar: 0,
      wheelPowerKw: 0,
      motorSpeedRpm: 0,
      motorTorqueNm: new Float64Array(motors),
      motorPowerKw: new Float64Array(motors),
      motorTempC: new Float64Array(motors).fill(ambientC + 2),
      inverterTempC: new Float64Array(motors).fill(ambientC + 2),
      motorCurrentA: new Float64Array(motors),
      auxPowerKw: 0,
      packPowerKw: 0,
      packVoltageV: 0,
      packCurrentA: 0,
      socPct: soc0,
      sohPct: soh,
      energyFullKwh: 0,
      energyRemainingKwh: 0,
      rangeKm: 0,
      cellSocPct: Float64Array.from({ length: n }, () => soc0 + 0.15 * this.rng.normal()),
      cellVoltageV: new Float64Array(n),
      cellTempC: new Float64Array(n).fill(ambientC + 3),
      moduleVoltageV: new Float64Array(spec.modules),
      moduleTempC: new Float64Array(spec.modules),
      moduleTempMaxC: new Float64Array(spec.modules),
      cellVoltageMinV: 0,
      cellVoltageMaxV: 0,
      cellVoltageAvgV: 0,
      cellVoltageMinId: 1,
      cellVoltageMaxId: 1,
      cellTempMinC: 0,
      cellTempMaxC: 0,
      cellTempAvgC: 0,
      cellTempMinId: 1,
      cellTempMaxId: 1,
      insulationKohm: this.rng.range(1800, 3500),
      ambientC,
      batteryCoolantC: ambientC + 2,
      motorCoolantC: ambientC + 2,
      tyrePressureKpa: Float64Array.from(this.tyreColdKpa),
      tyreTempC: new Float64Array(4).fill(ambientC),
      lvBatteryV: 12.6,
      lvCurrentA: 0,
      chargeState: 'NotConnected',
      chargePowerKw: 0,
    };
    for (let i = 0; i < n; i++) this.state.cellTempC[i] = ambientC + 3 + 0.3 * this.rng.normal();
    this.updateElectrical(0, 0);
    this.summarise();
  }

  /** Fault: a soft internal short in `cell` (0-based) pulls its voltage down by `rateVps` per second, up to `maxV`. */
  startCellLeak(cell: number, rateVps = 0.004): void {
    if (cell >= 0 && cell < this.cellLeakRateVps.length) this.cellLeakRateVps[cell] = rateVps;
  }

  /**
   * Fault: a hot spot in `module` (0-based) ramps its cells' temperature up to 80 °C, by default fast enough to pass
   * 62 °C one minute after it starts (at least 0.3 °C/s).
   */
  startModuleHeating(module: number, rateCps?: number): void {
    if (module < 0 || module >= this.moduleHeatingCps.length) return;
    this.moduleHeatingCps[module] = rateCps ?? Math.max(0.3, (62 - this.state.moduleTempMaxC[module]!) / 60);
  }

  /**
   * Slow fault: `cell` self-discharges through a growing internal short: its leak rate grows by `growthVps2` per
   * second (default: about 12 mV after one hour, 50 mV after two).
   */
  startCellSelfDischarge(cell: number, growthVps2 = 1.9e-9): void {
    if (cell >= 0 && cell < this.cellLeakGrowthVps2.length) this.cellLeakGrowthVps2[cell] = growthVps2;
  }

  /** Slow fault: the motor loop's coolant pump wears, losing `wearPerHour` of its flow per hour (down to 8 %). */
  startCoolantPumpWear(wearPerHour = 0.4): void {
    this.pumpWearPerS = wearPerHour / 3600;
  }

  /** Slow fault: tyre `wheel` (0 FL, 1 FR, 2 RL, 3 RR) leaks, faster and faster (about 60 kPa after 2.5 h). */
  startTyreSlowLeak(wheel: number, growthKpaPs2 = 1.5e-6): void {
    if (wheel >= 0 && wheel < 4) this.tyreLeakGrowthKpaPs2[wheel] = growthKpaPs2;
  }

  /** The module a cell belongs to (0-based). */
  moduleOfCell(cell: number): number {
    return Math.min(this.spec.modules - 1, Math.floor((cell * this.spec.modules) / this.spec.cellsInSeries));
  }

  step(dtS: number): void {
    const s = this.state;
    const spec = this.spec;
    s.timeS += dtS;

    // ---- driver and charging state ----
    // Low battery: pull over (a stop phase), then charge.
    if (s.phase !== 'charge' && s.socPct < 12) {
      if (s.speedKmh < 0.5) this.driver.force('charge');
      else if (s.phase !== 'stop') this.driver.force('stop');
    }
    if (s.phase === 'charge' && s.socPct >= 80) this.driver.force('urban');
    const driver = this.driver.step(dtS, s.speedKmh);
    s.phase = driver.phase;
    const charging = s.phase === 'charge';
    if (s.phase === 'park' || charging) {
      this.parkedS += dtS;
      s.accelMps2 = 0;
      s.speedKmh = 0;
    } else {
      this.parkedS = 0;
      const v0 = s.speedKmh / 3.6;
      const v1 = Math.max(0, v0 + driver.accelMps2 * dtS);
      s.accelMps2 = (v1 - v0) / dtS;
      s.speedKmh = v1 * 3.6;
    }
    s.ready = !charging && (s.phase !== 'park' || s.timeS > 3);
    s.gear = s.phase === 'park' || charging ? 'P' : 'D';
    s.powerMode = charging ? 'Charge' : s.ready ? (s.speedKmh > 0.5 ? 'Drive' : 'Ready') : 'Off';

    // ---- road load ----
    const v = s.speedKmh / 3.6;
    const inertia = spec.massKg * s.accelMps2;
    const drag = 0.5 * AIR_DENSITY * spec.dragAreaM2 * v * v;
    const rolling = v > 0.05 ? spec.rollingResistance * spec.massKg * G : 0;
    const force = inertia + drag + rolling;
    const wheelPowerKw = (force * v) / 1000;
    let electricKw: number;
    let frictionBrakeKw = 0;
    if (wheelPowerKw >= 0) {
      electricKw = Math.min(spec.maxDrivePowerKw, wheelPowerKw / spec.driveEfficiency);
    } else {
      // Regeneration fades out below 8 km/h; the friction brakes take the rest.
      const regenCap = spec.maxRegenPowerKw * Math.min(1, Math.max(0, (s.speedKmh - 3) / 5));
      const regenWheel = Math.max(wheelPowerKw, -regenCap / spec.regenEfficiency);
      electricKw = regenWheel * spec.regenEfficiency;
      frictionBrakeKw = regenWheel - wheelPowerKw;
    }
    s.wheelPowerKw = wheelPowerKw;
    s.accelPedalPct = wheelPowerKw > 0 ? Math.min(100, (wheelPowerKw / spec.maxDrivePowerKw) * 160 + 4) : 0;
    const holding = s.ready && s.speedKmh < 0.5;
    s.brakePressureBar =
      frictionBrakeKw > 0
        ? Math.min(180, (frictionBrakeKw * 1000) / Math.max(v, 1) / (spec.massKg * 0.06))
        : holding
          ? 12
          : 0;
    s.brakePressed = s.brakePressureBar > 1 || (s.accelMps2 < -0.8 && !charging);
    const wheelRps = v / (2 * Math.PI * spec.wheelRadiusM);
    s.motorSpeedRpm = wheelRps * 60 * spec.gearRatio;
    const motorRadS = (s.motorSpeedRpm * 2 * Math.PI) / 60;
    const mechKw = wheelPowerKw >= 0 ? wheelPowerKw : wheelPowerKw + frictionBrakeKw;
    spec.motorShares.forEach((share, m) => {
      s.motorPowerKw[m] = mechKw * share;
      s.motorTorqueNm[m] = motorRadS > 1 ? (mechKw * share * 1000) / motorRadS : 0;
    });

    // ---- lateral motion and position ----
    const turnRate = (s.phase === 'urban' ? 3 : s.phase === 'highway' ? 0.3 : 1) * this.rng.normal();
    s.yawRateDps = v > 1 ? Math.max(-25, Math.min(25, s.yawRateDps * 0.9 + turnRate)) : 0;
    s.headingDeg = (s.headingDeg + s.yawRateDps * dtS + 360) % 360;
    s.latAccelMps2 = ((s.yawRateDps * Math.PI) / 180) * v;
    s.steeringAngleDeg =
      v > 1
        ? Math.max(-500, Math.min(500, (s.yawRateDps * 2.8 * spec.gearRatio) / Math.max(v / 10, 0.5)))
        : s.steeringAngleDeg * 0.95;
    const dKm = (v * dtS) / 1000;
    s.odometerKm += dKm;
    s.tripKm += dKm;
    const heading = (s.headingDeg * Math.PI) / 180;
    s.latitudeDeg += (v * dtS * Math.cos(heading)) / 111_320;
    s.longitudeDeg += (v * dtS * Math.sin(heading)) / (111_320 * Math.cos((s.latitudeDeg * Math.PI) / 180));

    // ---- auxiliaries and charging ----
    const hvacKw = s.ready || charging ? Math.min(5, Math.abs(s.ambientC - 21) * 0.12) : 0;
    s.auxPowerKw = s.ready || charging ? spec.auxBaseKw + hvacKw + this.rng.range(-0.05, 0.05) : 0.05;
    let chargeKw = 0;
    if (charging) {
      const taper = s.socPct < 50 ? 1 : Math.max(0.25, 1 - (s.socPct - 50) / 45);
      chargeKw = spec.dcChargeKw * taper * Math.min(1, this.parkedS / 20); // ramps up as the session starts
      s.chargeState = 'ChargingDC';
    } else {
      s.chargeState = 'NotConnected';
    }
    s.chargePowerKw = chargeKw;

    // ---- battery ----
    this.updateElectrical(electricKw + s.auxPowerKw - chargeKw, dtS);
    for (let i = 0; i < s.cellSocPct.length; i++) {
      s.cellSocPct[i] = s.cellSocPct[i]! - (s.packCurrentA * dtS * 100) / (3600 * this.cellCapacityAh[i]!);
      const growth = this.cellLeakGrowthVps2[i]!;
      if (growth > 0) this.cellLeakRateVps[i] = this.cellLeakRateVps[i]! + growth * dtS;
      const rate = this.cellLeakRateVps[i]!;
      if (rate > 0) this.cellLeakV[i] = Math.min(0.6, this.cellLeakV[i]! + rate * dtS);
    }

    // ---- temperatures ----
    const i2 = s.packCurrentA * s.packCurrentA;
    for (let i = 0; i < s.cellTempC.length; i++) {
      const t = s.cellTempC[i]!;
      const heatW = i2 * this.cellResistance[i]! * resistanceFactor(t);
      const coolW = CELL_COOLING_W_PER_K * (t - s.batteryCoolantC);
      let next = t + ((heatW - coolW) * dtS) / CELL_HEAT_CAPACITY_J_PER_K + 0.01 * this.rng.normal() * Math.sqrt(dtS);
      const heating = this.moduleHeatingCps[this.moduleOfCell(i)]!;
      if (heating > 0) next = Math.max(next, Math.min(80, t + heating * dtS));
      s.cellTempC[i] = next;
    }
    // The chiller holds the battery loop near 25 °C when active; at rest it drifts to ambient.
    const batteryTarget =
      s.ready || charging
        ? Math.min(Math.max(s.ambientC, 18), 25) + Math.min(6, Math.abs(s.packPowerKw) / 40)
        : s.ambientC;
    s.batteryCoolantC += ((batteryTarget - s.batteryCoolantC) * dtS) / 240;
    let lossesW = 0;
    for (let m = 0; m < spec.motorShares.length; m++) {
      const power = Math.abs(s.motorPowerKw[m]!) * 1000;
      const motorLoss = power * 0.06 + (s.motorSpeedRpm > 0 ? 150 : 0);
      const inverterLoss = power * 0.02 + (s.ready ? 40 : 0);
      s.motorTempC[m] = s.motorTempC[m]! + ((motorLoss - 55 * (s.motorTempC[m]! - s.motorCoolantC)) * dtS) / 22_000;
      s.inverterTempC[m] =
        s.inverterTempC[m]! + ((inverterLoss - 40 * (s.inverterTempC[m]! - s.motorCoolantC)) * dtS) / 2_500;
      lossesW += motorLoss + inverterLoss;
    }
    if (this.pumpWearPerS > 0) this.pumpFlow = Math.max(0.08, this.pumpFlow - this.pumpWearPerS * dtS);
    const radiatorWPerK = (120 + 14 * v) * this.pumpFlow;
    s.motorCoolantC += ((lossesW * 0.9 - radiatorWPerK * (s.motorCoolantC - s.ambientC)) * dtS) / 45_000;
    for (let w = 0; w < 4; w++) {
      const leakGrowth = this.tyreLeakGrowthKpaPs2[w]!;
      if (leakGrowth > 0) {
        this.tyreLeakRateKpaPs[w] = this.tyreLeakRateKpaPs[w]! + leakGrowth * dtS;
        this.tyreColdKpa[w] = Math.max(0, this.tyreColdKpa[w]! - this.tyreLeakRateKpaPs[w]! * dtS);
      }
      const target = s.ambientC + 0.18 * s.speedKmh + (s.brakePressureBar > 5 ? 3 : 0);
      s.tyreTempC[w] = s.tyreTempC[w]! + ((target - s.tyreTempC[w]!) * dtS) / 500;
      s.tyrePressureKpa[w] =
        (this.tyreColdKpa[w]! + 101.3) * ((s.tyreTempC[w]! + 273.15) / (s.ambientC + 273.15)) - 101.3;
    }

    // ---- 12 V network: the DC/DC holds it at 14.1 V while the HV system is up ----
    const dcdcOn = s.ready || charging;
    s.lvCurrentA = dcdcOn ? 18 + s.auxPowerKw * 4 + this.rng.range(-1, 1) : -1.5;
    const lvTarget = dcdcOn ? 14.1 : 12.55;
    s.lvBatteryV += ((lvTarget - s.lvBatteryV) * dtS) / (dcdcOn ? 2 : 60) + 0.005 * this.rng.normal();
    s.insulationKohm = Math.max(
      500,
      s.insulationKohm + this.rng.normal() * 2 * Math.sqrt(dtS) + (2600 - s.insulationKohm) * 0.001 * dtS,
    );

    this.summarise();
  }

  /** Solves the pack current for a terminal power and sets pack and cell voltages. */
  private updateElectrical(powerKw: number, dtS: number): void {
    const s = this.state;
    const n = s.cellSocPct.length;
    let ocv = 0;
    let resistance = 0;
    for (let i = 0; i < n; i++) {
      ocv += openCircuitVoltage(s.cellSocPct[i]!) - this.cellLeakV[i]!;
      resistance += this.cellResistance[i]! * resistanceFactor(s.cellTempC[i]!);
    }
    const source = ocv - this.polarisationV * n;
    const watts = powerKw * 1000;
    // R·I² − E·I + P = 0, the physical (smaller) root; past the pack's limit the power is capped.
    const discriminant = source * source - 4 * resistance * watts;
    const current =
      discriminant > 0 ? (source - Math.sqrt(discriminant)) / (2 * resistance) : source / (2 * resistance);
    s.packCurrentA = current;
    // Polarisation (diffusion) voltage per cell: first-order lag behind the current, τ = 40 s.
    const target = current * this.spec.cellResistanceOhm * 0.6;
    if (dtS > 0) this.polarisationV += ((target - this.polarisationV) * dtS) / 40;
    let pack = 0;
    for (let i = 0; i < n; i++) {
      const cellV =
        openCircuitVoltage(s.cellSocPct[i]!) -
        this.cellLeakV[i]! -
        current * this.cellResistance[i]! * resistanceFactor(s.cellTempC[i]!) -
        this.polarisationV +
        0.0004 * this.rng.normal();
      s.cellVoltageV[i] = cellV;
      pack += cellV;
    }
    s.packVoltageV = pack;
    s.packPowerKw = (pack * current) / 1000;
    const motors = this.spec.motorShares.length;
    for (let m = 0; m < motors; m++)
      s.motorCurrentA[m] = pack > 0 ? (s.motorPowerKw[m]! * 1000) / this.spec.driveEfficiency / pack : 0;
  }

  /** Min/max/avg and per-module values the BMS reports. */
  private summarise(): void {
    const s = this.state;
    const n = s.cellVoltageV.length;
    let vMin = Infinity;
    let vMax = -Infinity;
    let vSum = 0;
    let tMin = Infinity;
    let tMax = -Infinity;
    let tSum = 0;
    let socSum = 0;
    s.moduleVoltageV.fill(0);
    s.moduleTempC.fill(0);
    s.moduleTempMaxC.fill(-Infinity);
    const perModule = new Float64Array(this.spec.modules);
    for (let i = 0; i < n; i++) {
      const v = s.cellVoltageV[i]!;
      const t = s.cellTempC[i]!;
      if (v < vMin) {
        vMin = v;
        s.cellVoltageMinId = i + 1;
      }
      if (v > vMax) {
        vMax = v;
        s.cellVoltageMaxId = i + 1;
      }
      if (t < tMin) {
        tMin = t;
        s.cellTempMinId = i + 1;
      }
      if (t > tMax) {
        tMax = t;
        s.cellTempMaxId = i + 1;
      }
      vSum += v;
      tSum += t;
      socSum += s.cellSocPct[i]!;
      const m = this.moduleOfCell(i);
      s.moduleVoltageV[m] = s.moduleVoltageV[m]! + v;
      s.moduleTempC[m] = s.moduleTempC[m]! + t;
      if (t > s.moduleTempMaxC[m]!) s.moduleTempMaxC[m] = t;
      perModule[m] = perModule[m]! + 1;
    }
    for (let m = 0; m < perModule.length; m++)
      s.moduleTempC[m] = perModule[m]! > 0 ? s.moduleTempC[m]! / perModule[m]! : s.ambientC;
    s.cellVoltageMinV = vMin;
    s.cellVoltageMaxV = vMax;
    s.cellVoltageAvgV = vSum / n;
    s.cellTempMinC = tMin;
    s.cellTempMaxC = tMax;
    s.cellTempAvgC = tSum / n;
    s.socPct = Math.min(100, Math.max(0, socSum / n));
    s.energyFullKwh = (this.spec.capacityAh * this.spec.cellsInSeries * 3.7 * s.sohPct) / 100 / 1000;
    s.energyRemainingKwh = (s.energyFullKwh * s.socPct) / 100;
    s.rangeKm = s.energyRemainingKwh / 0.19;
  }
}
