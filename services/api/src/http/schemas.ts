/** JSON schemas of the API (TypeBox): they validate requests, shape responses and make the OpenAPI document. */
import { Type, type TSchema } from 'typebox';
import { ROLES } from '../domain/access.js';

export const nullable = <T extends TSchema>(schema: T, description?: string) =>
  Type.Union([schema, Type.Null()], description === undefined ? {} : { description });

// Case-insensitive on input (lowercase is uppercased); ISO 3779 otherwise: no I, O or Q.
export const VIN = Type.String({
  pattern: '^[A-HJ-NPR-Za-hj-npr-z0-9]{17}$',
  description: 'Vehicle identification number (17 characters, no I, O, Q)',
});
export const FLEET_ID = Type.String({
  pattern: '^[a-z0-9][a-z0-9_.-]{0,63}$',
  description: 'Fleet id: lowercase letters, digits, _ . -',
});
export const DEVICE_ID = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$',
  description: 'T-Box device id',
});
export const KEY_ID = Type.String({ pattern: '^[0-9a-f]{12}$', description: 'API key id (the part after tt_)' });
const MODEL_ID = Type.String({ minLength: 1, maxLength: 100 });
const CATALOG_VERSION = Type.String({ minLength: 1, maxLength: 50 });
export const TIME = Type.String({ format: 'date-time' });
export const MS = Type.Integer({ description: 'milliseconds since the Unix epoch' });

export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'stable error code, e.g. VEHICLE_NOT_FOUND' }),
      message: Type.String(),
      retryable: Type.Boolean({ description: 'whether the same request may succeed later' }),
      requestId: Type.String(),
      details: Type.Optional(Type.Unknown()),
    }),
  },
  { description: 'Error' },
);

/** Responses every route under /v1 may give besides its own. */
export const errorResponses = {
  400: ErrorResponse,
  401: ErrorResponse,
  403: ErrorResponse,
  404: ErrorResponse,
  409: ErrorResponse,
  413: ErrorResponse,
  429: ErrorResponse,
  500: ErrorResponse,
  503: ErrorResponse,
};

export const Vehicle = Type.Object({
  vin: Type.String(),
  fleetId: Type.String(),
  modelId: Type.String(),
  catalogVersion: Type.String(),
  deviceId: nullable(Type.String({ description: 'the enabled T-Box, if any' })),
  createdAt: TIME,
  updatedAt: TIME,
});

export const VehicleDetail = Type.Object({
  ...Vehicle.properties,
  catalog: Type.Object({
    available: Type.Boolean({
      description: "whether this API server has the catalog of the vehicle's model and version",
    }),
    displayName: nullable(Type.String()),
    signalCount: nullable(Type.Integer()),
  }),
  lastSeen: nullable(
    Type.Object(
      {
        eventTimeMs: MS,
        eventTime: TIME,
        receiveTimeMs: MS,
        receiveTime: TIME,
      },
      { description: 'newest event and receive time of any stored signal value' },
    ),
  ),
});

export const VehicleList = Type.Object({
  vehicles: Type.Array(Vehicle),
  nextCursor: nullable(Type.String({ description: 'pass as ?cursor= for the next page; null on the last page' })),
});

export const SignalValue = Type.Object({
  id: Type.Integer({ description: 'stable signal id of the model' }),
  name: Type.String(),
  qualifiedName: Type.String({ description: '<bus>/<message>/<signal>' }),
  unit: Type.String(),
  value: Type.Number(),
  label: nullable(Type.String({ description: "the value's name for enumerated signals" })),
  eventTimeMs: MS,
  eventTime: TIME,
  receiveTimeMs: MS,
  receiveTime: TIME,
  ageMs: Type.Integer({ description: 'now − event time' }),
  staleAfterMs: nullable(Type.Integer({ description: 'null: event-driven, never stale' })),
  stale: Type.Boolean({ description: 'no update for longer than staleAfterMs' }),
});

export const LatestSignals = Type.Object({
  vin: Type.String(),
  modelId: Type.String(),
  catalogVersion: Type.String(),
  nowMs: MS,
  now: TIME,
  count: Type.Integer(),
  signals: Type.Array(SignalValue),
  missing: Type.Array(Type.String(), { description: 'requested names that have no stored value yet' }),
  unresolvedSignalIds: Type.Array(Type.Integer(), {
    description: "stored signal ids the vehicle's catalog does not know",
  }),
});

export const SignalDescription = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  qualifiedName: Type.String(),
  bus: Type.String(),
  message: Type.String(),
  unit: Type.String(),
  staleAfterMs: nullable(Type.Integer()),
  choices: nullable(Type.Record(Type.String(), Type.String(), { description: 'raw value → label' })),
});

export const SignalHistory = Type.Object({
  vin: Type.String(),
  signal: SignalDescription,
  fromMs: MS,
  from: TIME,
  toMs: nullable(MS),
  to: nullable(TIME),
  order: Type.Enum(['asc', 'desc']),
  hotWindowStartMs: Type.Integer({
    description:
      "samples at or after this event time come from PostgreSQL (the hot window, at the store's resolution), " +
      'older ones from the archive (every sample)',
  }),
  count: Type.Integer({ description: 'number of points (raw samples) or of buckets' }),
  points: Type.Array(
    Type.Object({
      eventTimeMs: MS,
      eventTimeUs: Type.Integer({ description: 'event time in µs since the epoch (the CAN frame time)' }),
      eventTime: TIME,
      value: Type.Number(),
      label: nullable(Type.String()),
      receiveTimeMs: nullable(MS, 'null for samples read from the archive'),
      catalogVersion: nullable(Type.String()),
    }),
    { description: 'raw samples (empty when `points` was asked for: see `buckets`)' },
  ),
  bucketMs: nullable(
    Type.Integer({
      description:
        'width of each bucket when downsampled: whole seconds when a bucket spans a second or more (then counted ' +
        "from the start of `from`'s second, the first bucket starting at `from`), else whole ms from `from`",
    }),
  ),
  archiveHours: nullable(
    Type.Object(
      {
        rollup: Type.Integer({ description: 'archive hours read from per-second rollups (compacted hours)' }),
        raw: Type.Integer({ description: 'archive hours read sample by sample (no rollup yet; same result, slower)' }),
      },
      { description: 'with ?points=N: how the archive part of the range was read; else null' },
    ),
  ),
  buckets: nullable(
    Type.Array(
      Type.Object({
        fromMs: MS,
        from: TIME,
        toMs: MS,
        count: Type.Integer({ description: 'samples in the bucket' }),
        min: Type.Number(),
        max: Type.Number(),
        avg: Type.Number(),
      }),
    ),
    'with ?points=N: min/max/avg per time bucket, oldest first, buckets without samples left out; else null',
  ),
  next: nullable(
    Type.Object(
      { fromMs: MS, toMs: nullable(MS) },
      { description: 'the range of the next page (same order and limit); null when this page is the last' },
    ),
  ),
});

export const Fleet = Type.Object({
  fleetId: Type.String(),
  name: Type.String(),
  vehicleCount: Type.Integer(),
  createdAt: TIME,
});

export const Device = Type.Object({
  deviceId: Type.String(),
  vin: Type.String(),
  enabled: Type.Boolean(),
  createdAt: TIME,
  updatedAt: TIME,
});

export const RoleSchema = Type.Enum(['viewer', 'engineer', 'admin'], { description: `one of ${ROLES.join(', ')}` });

export const ApiKey = Type.Object({
  keyId: Type.String(),
  name: Type.String(),
  role: Type.String(),
  fleets: Type.Array(Type.String()),
  createdBy: Type.String({ description: 'key id of the creating key, or cli' }),
  createdAt: TIME,
  revokedAt: nullable(TIME),
  lastUsedAt: nullable(TIME),
});

export const Notice = Type.String({ description: 'what to do next' });

export const ids = { VIN, FLEET_ID, DEVICE_ID, KEY_ID, MODEL_ID, CATALOG_VERSION };
