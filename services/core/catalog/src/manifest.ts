/**
 * manifest.json of a model directory: which DBC describes which bus, plus aliases and per-signal overrides.
 * Validated strictly; every problem names its JSON pointer (`/buses/1/dbc must be a file name`).
 */
import { z } from 'zod';
import { TelltaleError } from '@telltale/platform/errors';
import { checkJson, type JsonCheck } from './json-problems.js';

const NAME = /^[a-z][a-z0-9_]*$/;
const MODEL_ID = /^[a-z0-9][a-z0-9-]*[a-z0-9]$/;
const DBC_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]*\.dbc$/;
const VERSION = /^\d+\.\d+\.\d+$/;
/** `<bus>/<message>/<signal>` */
const QUALIFIED = /^[a-z][a-z0-9_]*\/[A-Za-z_][A-Za-z0-9_]*\/[A-Za-z_][A-Za-z0-9_]*$/;

const BusSchema = z
  .strictObject({
    index: z
      .number()
      .int({ error: 'must be an integer' })
      .min(0, { error: 'must be 0..255' })
      .max(255, { error: 'must be 0..255' }),
    name: z.string().regex(NAME, { error: 'must be a lowercase name (a-z, 0-9, _)' }),
    dbc: z.string().regex(DBC_FILE, { error: 'must be a file name ending in .dbc (no directories)' }),
    bitrate: z.number().int({ error: 'must be an integer' }).positive({ error: 'must be a bit rate in bit/s' }),
    fd: z.boolean().default(false),
    dataBitrate: z
      .number()
      .int({ error: 'must be an integer' })
      .positive({ error: 'must be a bit rate in bit/s' })
      .optional(),
    comment: z.string().optional(),
  })
  .superRefine((bus, ctx) => {
    if (bus.dataBitrate !== undefined && !bus.fd) {
      ctx.addIssue({ code: 'custom', path: ['dataBitrate'], message: 'is only valid on a CAN FD bus (fd: true)' });
    }
  });

const OverrideSchema = z.strictObject({
  staleAfterMs: z
    .number()
    .int({ error: 'must be an integer' })
    .min(0, { error: 'must be ≥ 0 (0 means never stale)' })
    .optional(),
  unit: z.string().optional(),
  /** Why the DBC's value or the stale rule is wrong for this signal; kept for the next reader. */
  reason: z.string().optional(),
});

export const ManifestSchema = z
  .strictObject({
    modelId: z.string().regex(MODEL_ID, { error: 'must be a lowercase id (a-z, 0-9, -)' }),
    displayName: z.string().min(1, { error: 'must not be empty' }),
    catalogVersion: z.string().regex(VERSION, { error: 'must be a version like 1.4.0' }),
    description: z.string().optional(),
    buses: z.array(BusSchema).min(1, { error: 'must list at least one bus' }),
    aliases: z
      .record(
        z.string().regex(/^[a-z][A-Za-z0-9.]*$/, { error: 'must be a camelCase alias' }),
        z.string().regex(QUALIFIED, { error: 'must be a qualified signal name <bus>/<message>/<signal>' }),
      )
      .default({}),
    signalOverrides: z
      .record(
        z.string().regex(QUALIFIED, { error: 'must be a qualified signal name <bus>/<message>/<signal>' }),
        OverrideSchema,
      )
      .default({}),
  })
  .superRefine((manifest, ctx) => {
    const seen = { index: new Map<number, number>(), name: new Map<string, number>(), dbc: new Map<string, number>() };
    manifest.buses.forEach((bus, i) => {
      for (const key of ['index', 'name', 'dbc'] as const) {
        const value = bus[key];
        const first = (seen[key] as Map<typeof value, number>).get(value);
        if (first !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['buses', i, key], message: `duplicates /buses/${first}/${key}` });
        } else {
          (seen[key] as Map<typeof value, number>).set(value, i);
        }
      }
    });
  });

export type CatalogManifest = z.infer<typeof ManifestSchema>;
export type ManifestBus = CatalogManifest['buses'][number];

export function checkManifest(text: string): JsonCheck<CatalogManifest> {
  return checkJson(ManifestSchema, text);
}

/** Throws CATALOG_INVALID naming every problem. */
export function parseManifest(text: string): CatalogManifest {
  const result = checkManifest(text);
  if (result.ok) return result.value;
  throw new TelltaleError('CATALOG_INVALID', `Invalid manifest.json: ${result.problems.join('; ')}.`, {
    details: { problems: result.problems },
  });
}
