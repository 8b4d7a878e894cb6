import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import type { ItemFactorModel } from '../graph/stores/item-factors';
import type { AlsOptions } from './als';

/**
 * A fitted ALS model as a file (`flywheel export-als`, loaded at start by `FLYWHEEL_ALS_MODEL_FILE`), and
 * the checks any stored model (file or Neo4j, src/graph/neo4j/item-factors.ts) passes before it is served.
 *
 * Layout, little-endian:
 *   bytes 0..7    magic "FLYWALS\n"
 *   bytes 8..11   uint32: length H of the header
 *   H bytes       header, UTF-8 JSON: formatVersion, factors, hyperparameters, fittedAt, fitMs, position,
 *                 itemIds, and vectorBytes + vectorCrc32 (CRC-32 of the vector bytes)
 *   padding       zero bytes up to a multiple of 8
 *   vectorBytes   float64: itemIds.length x factors, row-major
 * and nothing after. Any other shape is refused with an AlsModelError naming what is wrong: a short file
 * (truncated), a checksum that does not match (corrupt), a version this code does not read, a dimension or
 * hyperparameters other than the configured ones (mismatch). Float64, not float32: the loaded model scores
 * exactly as the exported one did.
 */
export const ALS_MODEL_FORMAT_VERSION = 1;
const MAGIC = Buffer.from('FLYWALS\n', 'latin1');

export type AlsModelErrorKind = 'not-a-model' | 'unsupported-version' | 'truncated' | 'corrupt' | 'mismatch';

export class AlsModelError extends Error {
  override readonly name = 'AlsModelError';
  constructor(
    readonly kind: AlsModelErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/** The hyperparameters that define what the factors mean: a model fitted with others is not served. */
export const MODEL_DEFINING: readonly (keyof AlsOptions)[] = ['factors', 'regularization', 'alpha', 'confidence', 'logEpsilon', 'halfLifeDays'];

interface FileHeader extends Omit<ItemFactorModel, 'vectors'> {
  vectorBytes: number;
  vectorCrc32: number;
}

export function encodeAlsModel(model: ItemFactorModel): Buffer {
  checkShape(model);
  const vectorBytes = Buffer.from(model.vectors.buffer, model.vectors.byteOffset, model.vectors.byteLength);
  const header: FileHeader = {
    formatVersion: model.formatVersion,
    factors: model.factors,
    hyperparameters: model.hyperparameters,
    fittedAt: model.fittedAt,
    fitMs: model.fitMs,
    position: model.position,
    itemIds: model.itemIds,
    vectorBytes: vectorBytes.length,
    vectorCrc32: crc32(vectorBytes),
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length);
  const pad = Buffer.alloc((8 - ((MAGIC.length + 4 + json.length) % 8)) % 8);
  return Buffer.concat([MAGIC, len, json, pad, vectorBytes]);
}

export function decodeAlsModel(buf: Buffer, source = 'the model file'): ItemFactorModel {
  if (buf.length < MAGIC.length + 4) {
    if (MAGIC.subarray(0, buf.length).equals(buf)) throw new AlsModelError('truncated', `${source} is truncated (${buf.length} bytes)`);
    throw new AlsModelError('not-a-model', `${source} is not an ALS model file (flywheel export-als)`);
  }
  if (!buf.subarray(0, MAGIC.length).equals(MAGIC)) throw new AlsModelError('not-a-model', `${source} is not an ALS model file (flywheel export-als)`);
  const headerLength = buf.readUInt32LE(MAGIC.length);
  const headerEnd = MAGIC.length + 4 + headerLength;
  if (buf.length < headerEnd) throw new AlsModelError('truncated', `${source} is truncated inside its header (${buf.length} of at least ${headerEnd} bytes)`);
  let header: FileHeader;
  try {
    header = JSON.parse(buf.subarray(MAGIC.length + 4, headerEnd).toString('utf8')) as FileHeader;
  } catch {
    throw new AlsModelError('corrupt', `${source} has an unreadable header`);
  }
  if (header.formatVersion !== ALS_MODEL_FORMAT_VERSION)
    throw new AlsModelError(
      'unsupported-version',
      `${source} has format version ${String(header.formatVersion)}; this gateway reads version ${ALS_MODEL_FORMAT_VERSION}`,
    );
  if (!Number.isInteger(header.factors) || header.factors < 1 || !Array.isArray(header.itemIds) || !Number.isInteger(header.vectorBytes))
    throw new AlsModelError('corrupt', `${source} has a malformed header`);
  const expected = header.itemIds.length * header.factors * 8;
  if (header.vectorBytes !== expected)
    throw new AlsModelError(
      'corrupt',
      `${source} declares ${header.vectorBytes} bytes of vectors for ${header.itemIds.length} items x ${header.factors} factors (${expected})`,
    );
  const start = headerEnd + ((8 - (headerEnd % 8)) % 8);
  const end = start + header.vectorBytes;
  if (buf.length < end) throw new AlsModelError('truncated', `${source} is truncated: ${buf.length} bytes of ${end}`);
  if (buf.length > end) throw new AlsModelError('corrupt', `${source} has ${buf.length - end} bytes after its vectors`);
  const bytes = buf.subarray(start, end);
  if (crc32(bytes) !== header.vectorCrc32) throw new AlsModelError('corrupt', `${source}: the vectors' checksum does not match (the file is damaged)`);
  const vectors = new Float64Array(header.itemIds.length * header.factors);
  Buffer.from(vectors.buffer).set(bytes); // a copy: the file's bytes need not be 8-byte aligned in memory
  const { vectorBytes: _b, vectorCrc32: _c, ...rest } = header;
  const model: ItemFactorModel = { ...rest, vectors };
  checkShape(model, source);
  return model;
}

/** Writes the file whole or not at all: to a temporary name, synced, then renamed over `file`. */
export function writeAlsModelFile(file: string, model: ItemFactorModel): number {
  const buf = encodeAlsModel(model);
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, buf);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  return buf.length;
}

export function readAlsModelFile(file: string): ItemFactorModel {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (err) {
    throw new AlsModelError('not-a-model', `cannot read the ALS model file ${file}: ${(err as Error).message}`);
  }
  return decodeAlsModel(buf, `ALS model file ${file}`);
}

/** Refuses a model whose dimension or model-defining hyperparameters differ from the configured ones. */
export function checkAlsModelFits(model: ItemFactorModel, o: AlsOptions, source = 'the stored ALS model'): void {
  const diffs: string[] = [];
  for (const key of MODEL_DEFINING) {
    const configured = o[key];
    const stored = key === 'factors' ? model.factors : model.hyperparameters[key];
    if (stored !== configured) diffs.push(`${key} ${String(stored)} (configured ${String(configured)})`);
  }
  if (diffs.length > 0) throw new AlsModelError('mismatch', `${source} was fitted with ${diffs.join(', ')}`);
}

function checkShape(model: ItemFactorModel, source = 'the ALS model'): void {
  if (model.vectors.length !== model.itemIds.length * model.factors)
    throw new AlsModelError('corrupt', `${source} has ${model.vectors.length} values for ${model.itemIds.length} items x ${model.factors} factors`);
  for (let t = 0; t < model.vectors.length; t++)
    if (!Number.isFinite(model.vectors[t]!))
      throw new AlsModelError('corrupt', `${source} has a value that is not a finite number (item ${model.itemIds[Math.floor(t / model.factors)]})`);
  if (new Set(model.itemIds).size !== model.itemIds.length) throw new AlsModelError('corrupt', `${source} lists an item twice`);
}
