/**
 * Registry administration (admin role): fleets, vehicles and their T-Box devices. Every change bumps the registry
 * version, so the gateway's and decoder's views reload within seconds; device credentials reach the MQTT broker
 * only with `telltale broker sync`. A fleet-scoped admin manages only its fleets' vehicles; what it cannot see is
 * "not found".
 */
import { Type } from 'typebox';
import { isTelltaleError } from '@telltale/platform';
import type { DeviceRecord, FleetRecord } from '@telltale/registry';
import { canSeeFleet, fleetScope, scopeCovers, type Principal } from '../../domain/access.js';
import { iso, principalOf, visibleVehicle, vehicleNotFound, type ApiDeps, type App } from '../context.js';
import { ApiError } from '../errors.js';
import { Device, errorResponses, Fleet, ids, Notice, Vehicle } from '../schemas.js';
import { vehicleJson } from './vehicles.js';

export const BROKER_SYNC_NOTICE =
  'Run `telltale broker sync` so the MQTT broker accepts or refuses this device accordingly.';

const fleetJson = (f: FleetRecord) => ({
  fleetId: f.fleetId,
  name: f.name,
  vehicleCount: f.vehicleCount,
  createdAt: iso(f.createdAt),
});
const deviceJson = (d: DeviceRecord) => ({
  deviceId: d.deviceId,
  vin: d.vin,
  enabled: d.enabled,
  createdAt: iso(d.createdAt),
  updatedAt: iso(d.updatedAt),
});

const fleetNotFound = (fleetId: string, path?: string): ApiError =>
  new ApiError(path === undefined ? 404 : 400, 'FLEET_NOT_FOUND', `Fleet ${fleetId} not found.`, {
    details: path === undefined ? { fleetId } : { fleetId, path },
  });

/** A fleet a vehicle is assigned to must exist and be within the caller's fleets (else: not found). */
function assertFleetUsable(principal: Principal, fleetId: string): void {
  if (!canSeeFleet(fleetScope(principal.fleets), fleetId)) throw fleetNotFound(fleetId, '/body/fleetId');
}

async function assertCatalogKnown(deps: ApiDeps, modelId: string, catalogVersion: string): Promise<void> {
  const lookup = await deps.catalogs.get(modelId, catalogVersion);
  if (lookup.ok) return;
  throw new ApiError(
    400,
    lookup.reason,
    lookup.reason === 'CATALOG_NOT_FOUND'
      ? `No catalog for model ${modelId} version ${catalogVersion} on this server; ` +
          `known: ${deps.catalogs.known.join(', ') || 'none'}.`
      : `The catalog of model ${modelId} version ${catalogVersion} does not load: ${lookup.detail}`,
    { details: { path: '/body/catalogVersion', modelId, catalogVersion, known: deps.catalogs.known } },
  );
}

/** Maps a missing fleet during a vehicle write to a 400 naming the body field. */
async function withFleetCheck<T>(fleetId: string | undefined, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isTelltaleError(error, 'FLEET_NOT_FOUND') && fleetId !== undefined)
      throw fleetNotFound(fleetId, '/body/fleetId');
    throw error;
  }
}

/**
 * VINs and device ids are unique across fleets, so a create may collide with one the caller cannot see. The answer
 * is the same whichever fleet holds it (a fleet-scoped key cannot tell its own fleets' ids from others' by it):
 * it names no fleet, vehicle or owner.
 */
const vinTaken = (vin: string): ApiError =>
  new ApiError(409, 'VEHICLE_EXISTS', `VIN ${vin} is already registered; a VIN is registered once in all fleets.`, {
    details: { path: '/body/vin', vin },
  });
const deviceIdTaken = (deviceId: string): ApiError =>
  new ApiError(409, 'DEVICE_EXISTS', `Device id ${deviceId} is already taken; device ids are never reused.`, {
    details: { path: '/body/deviceId', deviceId },
  });

const VinParams = Type.Object({ vin: ids.VIN });

export function registryRoutes(app: App, deps: ApiDeps): void {
  app.get(
    '/fleets',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['fleets'],
        summary: 'The fleets of the key',
        response: { 200: Type.Object({ fleets: Type.Array(Fleet) }), ...errorResponses },
      },
    },
    async (request) => {
      const scope = fleetScope(principalOf(request).fleets);
      const fleets = await deps.registry.listFleets();
      return { fleets: fleets.filter((f) => canSeeFleet(scope, f.fleetId)).map(fleetJson) };
    },
  );

  app.post(
    '/fleets',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['fleets'],
        summary: 'Create a fleet',
        description: 'The key must cover the new fleet id (a `*` key, or one listing it).',
        body: Type.Object(
          { fleetId: ids.FLEET_ID, name: Type.String({ minLength: 1, maxLength: 200 }) },
          { additionalProperties: false },
        ),
        response: { 201: Fleet, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { fleetId, name } = request.body;
      if (!scopeCovers(fleetScope(principal.fleets), [fleetId])) {
        throw new ApiError(
          403,
          'FORBIDDEN',
          `API key ${principal.keyId} may not create fleet ${fleetId}: it is outside the key's fleets.`,
          { details: { path: '/body/fleetId' } },
        );
      }
      const fleet = await deps.registry.createFleet(fleetId, name);
      deps.events.changed('fleet.create', principal.keyId, { fleetId });
      return reply.status(201).send(fleetJson(fleet));
    },
  );

  app.patch(
    '/fleets/:fleetId',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['fleets'],
        summary: 'Rename a fleet',
        params: Type.Object({ fleetId: ids.FLEET_ID }),
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
        response: { 200: Fleet, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { fleetId } = request.params;
      if (!canSeeFleet(fleetScope(principal.fleets), fleetId)) throw fleetNotFound(fleetId);
      const fleet = await deps.registry.renameFleet(fleetId, request.body.name);
      if (!fleet) throw fleetNotFound(fleetId);
      deps.events.changed('fleet.update', principal.keyId, { fleetId });
      return fleetJson(fleet);
    },
  );

  app.post(
    '/vehicles',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['vehicles'],
        summary: 'Register a vehicle',
        description:
          "The fleet must exist and be within the key's fleets; " +
          'the model and catalog version must be installed on this server.',
        body: Type.Object(
          { vin: ids.VIN, fleetId: ids.FLEET_ID, modelId: ids.MODEL_ID, catalogVersion: ids.CATALOG_VERSION },
          { additionalProperties: false },
        ),
        response: { 201: Vehicle, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const body = { ...request.body, vin: request.body.vin.toUpperCase() };
      assertFleetUsable(principal, body.fleetId);
      await assertCatalogKnown(deps, body.modelId, body.catalogVersion);
      await withFleetCheck(body.fleetId, () => deps.registry.createVehicle(body)).catch((error: unknown) => {
        throw isTelltaleError(error, 'VEHICLE_EXISTS') ? vinTaken(body.vin) : error;
      });
      deps.vehicles.forget(body.vin);
      deps.events.changed('vehicle.create', principal.keyId, { vin: body.vin, fleetId: body.fleetId });
      return reply.status(201).send(vehicleJson((await deps.vehicles.get(body.vin))!));
    },
  );

  app.patch(
    '/vehicles/:vin',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['vehicles'],
        summary: 'Move a vehicle to another fleet, or change its model or catalog version',
        params: VinParams,
        body: Type.Object(
          {
            fleetId: Type.Optional(ids.FLEET_ID),
            modelId: Type.Optional(ids.MODEL_ID),
            catalogVersion: Type.Optional(ids.CATALOG_VERSION),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: Vehicle, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const vehicle = await visibleVehicle(deps, principal, request.params.vin);
      const changes = request.body;
      if (changes.fleetId !== undefined) assertFleetUsable(principal, changes.fleetId);
      if (changes.modelId !== undefined || changes.catalogVersion !== undefined) {
        await assertCatalogKnown(
          deps,
          changes.modelId ?? vehicle.modelId,
          changes.catalogVersion ?? vehicle.catalogVersion,
        );
      }
      const updated = await withFleetCheck(changes.fleetId, () => deps.registry.updateVehicle(vehicle.vin, changes));
      deps.vehicles.forget(vehicle.vin);
      if (!updated) throw vehicleNotFound(vehicle.vin);
      deps.events.changed('vehicle.update', principal.keyId, { vin: vehicle.vin, ...changes });
      return vehicleJson((await deps.vehicles.get(vehicle.vin))!);
    },
  );

  app.delete(
    '/vehicles/:vin',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['vehicles'],
        summary: 'Remove a vehicle and its devices from the registry',
        description:
          'Its stored signal values stay in the store. The gateway refuses its uplinks once its registry view reloads.',
        params: VinParams,
        response: {
          200: Type.Object({ vin: Type.String(), deleted: Type.Boolean(), notice: Notice }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const vehicle = await visibleVehicle(deps, principal, request.params.vin);
      const deleted = await deps.registry.deleteVehicle(vehicle.vin);
      deps.vehicles.forget(vehicle.vin);
      if (!deleted) throw vehicleNotFound(vehicle.vin);
      deps.events.changed('vehicle.delete', principal.keyId, { vin: vehicle.vin, fleetId: vehicle.fleetId });
      return { vin: vehicle.vin, deleted: true, notice: BROKER_SYNC_NOTICE };
    },
  );

  app.get(
    '/vehicles/:vin/devices',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['devices'],
        summary: 'Every T-Box ever bound to the vehicle',
        params: VinParams,
        response: { 200: Type.Object({ devices: Type.Array(Device) }), ...errorResponses },
      },
    },
    async (request) => {
      const vehicle = await visibleVehicle(deps, principalOf(request), request.params.vin);
      return { devices: (await deps.registry.listDevices(vehicle.vin)).map(deviceJson) };
    },
  );

  app.post(
    '/vehicles/:vin/devices',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['devices'],
        summary: 'Bind a new T-Box to the vehicle; its generated secret is in this response only',
        description:
          "Disables the vehicle's other devices (one enabled T-Box per VIN). " +
          'Only a PBKDF2 hash of the secret is stored.',
        params: VinParams,
        body: Type.Object({ deviceId: ids.DEVICE_ID }, { additionalProperties: false }),
        response: {
          201: Type.Object({
            device: Device,
            secret: Type.String({ description: "the device's MQTT password; shown once" }),
            notice: Notice,
          }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const vehicle = await visibleVehicle(deps, principal, request.params.vin);
      const { device, secret } = await deps.registry
        .addDevice(vehicle.vin, request.body.deviceId)
        .catch((error: unknown) => {
          throw isTelltaleError(error, 'DEVICE_EXISTS') ? deviceIdTaken(request.body.deviceId) : error;
        });
      deps.vehicles.forget(vehicle.vin); // its enabled device changed
      deps.events.changed('device.create', principal.keyId, { vin: vehicle.vin, deviceId: device.deviceId });
      reply.header('cache-control', 'no-store');
      return reply.status(201).send({
        device: deviceJson(device),
        secret,
        notice: `Store the secret now: it is not shown again. ${BROKER_SYNC_NOTICE}`,
      });
    },
  );

  app.patch(
    '/vehicles/:vin/devices/:deviceId',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['devices'],
        summary: "Disable a T-Box (or enable it again, disabling the vehicle's others)",
        params: Type.Object({ vin: ids.VIN, deviceId: ids.DEVICE_ID }),
        body: Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false }),
        response: { 200: Type.Object({ device: Device, notice: Notice }), ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const vehicle = await visibleVehicle(deps, principal, request.params.vin);
      const device = await deps.registry.setDeviceEnabled(vehicle.vin, request.params.deviceId, request.body.enabled);
      deps.vehicles.forget(vehicle.vin); // its enabled device changed
      if (!device) {
        throw new ApiError(
          404,
          'DEVICE_NOT_FOUND',
          `Vehicle ${vehicle.vin} has no device ${request.params.deviceId}.`,
          { details: { deviceId: request.params.deviceId } },
        );
      }
      deps.events.changed(request.body.enabled ? 'device.enable' : 'device.disable', principal.keyId, {
        vin: vehicle.vin,
        deviceId: device.deviceId,
      });
      return { device: deviceJson(device), notice: BROKER_SYNC_NOTICE };
    },
  );
}
