/** The online feature store: the latest FeatureVector of a vehicle (viewer and up, within the key's fleets). */
import { Type } from 'typebox';
import { isoTime } from '../../domain/time.js';
import { principalOf, visibleVehicle, type ApiDeps, type App } from '../context.js';
import { ApiError } from '../errors.js';
import { errorResponses, ids } from '../schemas.js';

const Score = Type.Object({
  modelId: Type.String(),
  modelVersion: Type.Integer(),
  fault: Type.String(),
  probability: Type.Number({ minimum: 0, maximum: 1 }),
});

export const VehicleFeatures = Type.Object({
  vin: Type.String(),
  modelId: Type.String(),
  featureSetId: Type.String(),
  featureSetVersion: Type.Integer(),
  windowStartMs: Type.Integer({ description: 'event time, ms since the Unix epoch (window is [start, end))' }),
  windowEndMs: Type.Integer(),
  windowEnd: Type.String({ format: 'date-time' }),
  sampleCount: Type.Integer({ description: 'signal samples the window aggregated' }),
  features: Type.Record(Type.String(), Type.Union([Type.Number(), Type.Null()]), {
    description: 'feature name → value; null: no value in the window',
  }),
  scores: Type.Array(Score, { description: "the active fault model's probability for this window" }),
  writtenMs: Type.Integer({ description: 'when the features service stored it' }),
});

export function featureRoutes(app: App, deps: ApiDeps): void {
  app.get(
    '/vehicles/:vin/features',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['features'],
        summary: 'Latest feature vector of a vehicle, with its fault probability',
        description:
          'From the online feature store (Redis), written by `telltale features` when an event-time window closes. ' +
          '404 FEATURES_NOT_FOUND while no window of the vehicle has closed yet.',
        params: Type.Object({ vin: ids.VIN }),
        response: { 200: VehicleFeatures, ...errorResponses },
      },
    },
    async (request) => {
      const vehicle = await visibleVehicle(deps, principalOf(request), request.params.vin);
      const vector = await deps.features.latest(vehicle.vin);
      if (vector === undefined)
        throw new ApiError(404, 'FEATURES_NOT_FOUND', `No feature window of ${vehicle.vin} has closed yet.`, {
          details: { vin: vehicle.vin },
        });
      return {
        vin: vector.vin,
        modelId: vector.modelId,
        featureSetId: vector.featureSetId,
        featureSetVersion: vector.featureSetVersion,
        windowStartMs: vector.windowStartMs,
        windowEndMs: vector.windowEndMs,
        windowEnd: isoTime(vector.windowEndMs),
        sampleCount: vector.sampleCount,
        features: vector.features,
        scores: [...vector.scores],
        writtenMs: vector.writtenMs,
      };
    },
  );
}
