/**
 * Vehicle models and their catalogs (viewer and up). A catalog is product data, the same for every fleet, so these
 * routes are not fleet-scoped; they list what CATALOG_DIR holds. The console's catalog browser draws bit layouts from
 * them and its rule editor completes signal names, aliases and value labels.
 */
import { Type } from 'typebox';
import type { Catalog } from '@telltale/catalog';
import { catalogView, type CatalogView } from '../../domain/catalog-view.js';
import { catalogOf, type ApiDeps, type App } from '../context.js';
import { ApiError } from '../errors.js';
import { errorResponses, ids, nullable } from '../schemas.js';

const ModelList = Type.Object({
  models: Type.Array(
    Type.Object({
      modelId: Type.String(),
      versions: Type.Array(Type.String(), { description: 'catalog versions installed, oldest first' }),
      latestVersion: Type.String(),
    }),
  ),
});

const SignalLayout = Type.Object({
  id: nullable(Type.Integer({ description: 'stable signal id' })),
  name: Type.String(),
  qualifiedName: Type.String({ description: '<bus>/<message>/<signal>' }),
  startBit: Type.Integer({ description: 'DBC start bit (Motorola: the most significant bit, sawtooth numbering)' }),
  length: Type.Integer(),
  byteOrder: Type.Enum(['little_endian', 'big_endian']),
  isSigned: Type.Boolean(),
  scale: Type.Number(),
  offset: Type.Number(),
  minimum: nullable(Type.Number()),
  maximum: nullable(Type.Number()),
  unit: Type.String(),
  choices: Type.Record(Type.String(), Type.String(), { description: 'raw value → label' }),
  comment: nullable(Type.String()),
  staleAfterMs: nullable(Type.Integer()),
  isMultiplexer: Type.Boolean(),
  multiplexed: Type.Boolean(),
});

const CatalogDocument = Type.Object({
  modelId: Type.String(),
  displayName: Type.String(),
  catalogVersion: Type.String(),
  signalCount: Type.Integer(),
  aliases: Type.Record(Type.String(), Type.String(), { description: 'alias → qualified name' }),
  buses: Type.Array(
    Type.Object({
      index: Type.Integer(),
      name: Type.String(),
      bitrate: Type.Integer(),
      fd: Type.Boolean(),
      messages: Type.Array(
        Type.Object({
          name: Type.String(),
          frameId: Type.Integer(),
          isExtended: Type.Boolean(),
          length: Type.Integer({ description: 'bytes' }),
          cycleTimeMs: nullable(Type.Number()),
          senders: Type.Array(Type.String()),
          comment: nullable(Type.String()),
          signals: Type.Array(SignalLayout),
        }),
      ),
    }),
  ),
});

const compare = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true });

export function catalogRoutes(app: App, deps: ApiDeps): void {
  const views = new WeakMap<Catalog, CatalogView>();

  const installed = async (): Promise<Map<string, string[]>> => {
    await deps.catalogs.scan();
    const byModel = new Map<string, string[]>();
    for (const k of deps.catalogs.known) {
      const at = k.lastIndexOf('@');
      const model = k.slice(0, at);
      byModel.set(model, [...(byModel.get(model) ?? []), k.slice(at + 1)].sort(compare));
    }
    return byModel;
  };

  app.get(
    '/models',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['catalog'],
        summary: 'The vehicle models whose catalogs this server has, with their versions',
        response: { 200: ModelList, ...errorResponses },
      },
    },
    async () => {
      const byModel = await installed();
      return {
        models: [...byModel]
          .sort(([a], [b]) => compare(a, b))
          .map(([modelId, versions]) => ({ modelId, versions, latestVersion: versions.at(-1)! })),
      };
    },
  );

  app.get(
    '/models/:modelId/catalog',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['catalog'],
        summary: "A model's catalog: buses, messages, signals with bit layout, units, value labels, staleness",
        description: 'The newest version unless `version` is given. Immutable per version: cached privately.',
        params: Type.Object({ modelId: ids.MODEL_ID }),
        querystring: Type.Object({ version: Type.Optional(ids.CATALOG_VERSION) }, { additionalProperties: false }),
        response: { 200: CatalogDocument, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { modelId } = request.params;
      const versions = (await installed()).get(modelId);
      const version = request.query.version ?? versions?.at(-1);
      if (versions === undefined || version === undefined || !versions.includes(version))
        throw new ApiError(
          404,
          'CATALOG_NOT_FOUND',
          version === undefined || versions === undefined
            ? `No catalog for model ${modelId} on this server.`
            : `No catalog version ${version} of model ${modelId} on this server (have ${versions.join(', ')}).`,
          { details: { modelId, version: version ?? null } },
        );
      const catalog = await catalogOf(deps, modelId, version);
      let view = views.get(catalog);
      if (view === undefined) views.set(catalog, (view = catalogView(catalog)));
      reply.header('cache-control', 'private, max-age=300');
      return view;
    },
  );
}
