#!/usr/bin/env node
// Backstage's own entity validation, as its catalogue applies it when it reads
// a catalogue file. paved uses it as the reference: the differential test
// (crates/core/tests/backstage_compat.rs) and the `catalog validate`
// throughput benchmark compare paved against this script.
//
// Setup (once):   npm ci --prefix tools/backstage
//
// Usage:
//   node tools/backstage/validate.mjs < entities.jsonl
//       One JSON value per input line (an entity, or anything else); prints one
//       verdict per line, in order: {"index":0,"valid":true,"errors":[]}
//   node tools/backstage/validate.mjs FILE_OR_DIR...
//       Reads YAML catalogue files (directories recursively: *.yaml, *.yml) the
//       way Backstage does (multi-document; empty documents skipped); prints one
//       verdict per document: {"file":"a.yaml","document":0,"valid":false,"errors":["..."]}
//   node tools/backstage/validate.mjs --bench DIR [--rounds N]
//       Throughput: reads every YAML file under DIR once, then validates every
//       entity N times (default 7) and prints one JSON line with the median
//       round: {"entities":100000,"rounds":7,"validate_per_sec":...,
//       "parse_and_validate_per_sec":...,"median_validate_ms":...,...}.
//       "validate" times validation of already-parsed documents;
//       "parse_and_validate" adds YAML parsing of the file contents (already in
//       memory), which is what `paved catalog validate` does after reading.
//
// What "valid" means here — the steps of @backstage/plugin-catalog-backend
// 4.0 for an entity read from a file, with the default configuration:
//   1. parseEntityYaml: each YAML document must be a mapping (null documents
//      are skipped); then PlaceholderProcessor (files only; the FILE_OR_DIR
//      mode): a mapping whose only key is $text, $json or $yaml with a string
//      value is replaced by that file (relative to the document's file) as
//      text, JSON.parse, or the one YAML document; loaded content is not
//      searched again;
//   2. ProcessorOutputCollector: entityEnvelopeSchemaValidator, annotations
//      must be a mapping (a falsy value counts as none), location annotations
//      added;
//   3. DefaultCatalogProcessingOrchestrator: the envelope again, the default
//      EntityPolicies (SchemaValidEntityPolicy, DefaultNamespaceEntityPolicy,
//      NoForeignRootFieldsEntityPolicy, FieldFormatEntityPolicy with
//      makeValidator()), entitySchemaValidator, then validateEntityKind by
//      BuiltinKindsEntityProcessor (the eight catalog-model kind validators)
//      and the scaffolder's Template kind (templateEntityV1beta3Validator);
//   4. postProcessEntity: every ref in a relation field must parse with
//      parseEntityRef and the field's default kind (BuiltinKindsEntityProcessor
//      and the scaffolder's processor for Template.spec.owner).

import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import readline from 'node:readline';

import YAML from 'yaml';
import {
  DefaultNamespaceEntityPolicy,
  EntityPolicies,
  FieldFormatEntityPolicy,
  NoForeignRootFieldsEntityPolicy,
  SchemaValidEntityPolicy,
  apiEntityV1alpha1Validator,
  componentEntityV1alpha1Validator,
  domainEntityV1alpha1Validator,
  entityEnvelopeSchemaValidator,
  entitySchemaValidator,
  getCompoundEntityRef,
  groupEntityV1alpha1Validator,
  locationEntityV1alpha1Validator,
  makeValidator,
  parseEntityRef,
  resourceEntityV1alpha1Validator,
  systemEntityV1alpha1Validator,
  userEntityV1alpha1Validator,
} from '@backstage/catalog-model';
import { templateEntityV1beta3Validator } from '@backstage/plugin-scaffolder-common';

const require = createRequire(import.meta.url);
const VERSIONS = {
  '@backstage/catalog-model': require('@backstage/catalog-model/package.json').version,
  '@backstage/plugin-scaffolder-common': require('@backstage/plugin-scaffolder-common/package.json').version,
  node: process.version,
};

const validateEntityEnvelope = entityEnvelopeSchemaValidator();
const validateEntity = entitySchemaValidator();
const policy = EntityPolicies.allOf([
  new SchemaValidEntityPolicy(),
  new DefaultNamespaceEntityPolicy(),
  new NoForeignRootFieldsEntityPolicy(),
  new FieldFormatEntityPolicy(makeValidator()),
]);
// BuiltinKindsEntityProcessor's list, then the scaffolder catalog module's.
const kindValidators = [
  apiEntityV1alpha1Validator,
  componentEntityV1alpha1Validator,
  resourceEntityV1alpha1Validator,
  groupEntityV1alpha1Validator,
  locationEntityV1alpha1Validator,
  userEntityV1alpha1Validator,
  systemEntityV1alpha1Validator,
  domainEntityV1alpha1Validator,
  templateEntityV1beta3Validator,
];
// Relation fields per kind: [field, default kind] (postProcessEntity).
const relationFields = {
  Component: [
    ['owner', 'Group'],
    ['subcomponentOf', 'Component'],
    ['providesApis', 'API'],
    ['consumesApis', 'API'],
    ['dependsOn', undefined],
    ['dependencyOf', undefined],
    ['system', 'System'],
  ],
  API: [
    ['owner', 'Group'],
    ['system', 'System'],
  ],
  Resource: [
    ['owner', 'Group'],
    ['dependsOn', undefined],
    ['dependencyOf', undefined],
    ['system', 'System'],
  ],
  User: [['memberOf', 'Group']],
  Group: [
    ['parent', 'Group'],
    ['children', 'Group'],
    ['members', 'User'],
  ],
  System: [
    ['owner', 'Group'],
    ['domain', 'Domain'],
  ],
  Domain: [
    ['owner', 'Group'],
    ['subdomainOf', 'Domain'],
  ],
  Template: [['owner', 'Group']],
};

const LOCATION = 'file:/catalog/catalog-info.yaml';

function isPlainObject(v) {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function message(e) {
  let text = String(e?.message ?? e);
  if (e?.cause) text += `; caused by ${message(e.cause)}`;
  return text;
}

/** Backstage's verdict on one parsed YAML document; throws with the reason. */
async function backstageCheck(json) {
  // 1. parseEntityYaml
  if (!isPlainObject(json)) {
    throw new Error(`Expected object at root, got ${typeof json}`);
  }
  let entity = json;
  // 2. ProcessorOutputCollector
  validateEntityEnvelope(entity);
  const annotations = entity.metadata.annotations || {};
  if (typeof annotations !== 'object' || Array.isArray(annotations)) {
    throw new Error('metadata.annotations must be a valid object');
  }
  entity = {
    ...entity,
    metadata: {
      ...entity.metadata,
      annotations: {
        ...annotations,
        'backstage.io/managed-by-origin-location': `url:${LOCATION}`,
        'backstage.io/managed-by-location': LOCATION,
      },
    },
  };
  // 3. DefaultCatalogProcessingOrchestrator
  validateEntityEnvelope(entity);
  entity = await policy.enforce(entity);
  validateEntity(entity);
  let valid = false;
  for (const validator of kindValidators) {
    if (await validator.check(entity)) {
      valid = true;
      break;
    }
  }
  if (!valid) {
    throw new Error(
      `No processor recognized the entity as valid, possibly caused by a foreign kind or apiVersion (${entity.kind} ${entity.apiVersion})`,
    );
  }
  // 4. postProcessEntity: relation refs
  const self = getCompoundEntityRef(entity);
  for (const [field, defaultKind] of relationFields[entity.kind] ?? []) {
    const targets = entity.spec?.[field];
    if (!targets) continue;
    for (const target of [targets].flat()) {
      parseEntityRef(target, { defaultKind, defaultNamespace: self.namespace });
    }
  }
  return entity;
}

async function verdict(json) {
  try {
    await backstageCheck(json);
    return { valid: true, errors: [] };
  } catch (e) {
    return { valid: false, errors: [message(e)] };
  }
}

function yamlFiles(target) {
  const stat = fs.statSync(target);
  if (!stat.isDirectory()) return [target];
  const out = [];
  for (const entry of fs.readdirSync(target, { withFileTypes: true })) {
    const full = path.join(target, entry.name);
    if (entry.isDirectory()) out.push(...yamlFiles(full));
    else if (/\.ya?ml$/.test(entry.name)) out.push(full);
  }
  return out.sort();
}

/** The documents of one file as parseEntityYaml sees them: values, or an error string. */
function parseDocuments(text) {
  const docs = YAML.parseAllDocuments(text, { merge: false }).filter(d => d);
  return docs.map(d => (d.errors?.length ? { error: `YAML error, ${d.errors[0]}` } : { value: d.toJSON() }));
}

/** PlaceholderProcessor.preProcessEntity with its three default resolvers, reading files. */
function resolvePlaceholders(data, dir) {
  if (!data || !(data instanceof Object)) return data;
  if (Array.isArray(data)) return data.map(item => resolvePlaceholders(item, dir));
  const keys = Object.keys(data);
  if (!keys.some(k => k.startsWith('$'))) {
    return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, resolvePlaceholders(v, dir)]));
  }
  if (keys.length !== 1) return data;
  const key = keys[0].substring(1);
  const value = data[keys[0]];
  if (!['text', 'json', 'yaml'].includes(key) || typeof value !== 'string') return data;
  if (value.includes('://')) throw new Error(`Placeholder $${key}: this script reads files only, not ${value}`);
  let content;
  try {
    content = fs.readFileSync(path.resolve(dir, value), 'utf-8');
  } catch (e) {
    throw new Error(`Placeholder $${key} could not read location ${value}, ${e}`);
  }
  if (key === 'text') return content;
  if (key === 'json') {
    try {
      return JSON.parse(content);
    } catch (e) {
      throw new Error(`Placeholder $${key} failed to parse JSON data at ${value}, ${e}`);
    }
  }
  const documents = YAML.parseAllDocuments(content).filter(d => d);
  if (documents.length !== 1) {
    throw new Error(`Placeholder $${key} expected to find exactly one document of data at ${value}, found ${documents.length}`);
  }
  if (documents[0].errors?.length) {
    throw new Error(`Placeholder $${key} found an error in the data at ${value}, ${documents[0].errors[0]}`);
  }
  return documents[0].toJSON();
}

async function validateFiles(targets) {
  let invalid = 0;
  for (const target of targets) {
    for (const file of yamlFiles(target)) {
      const docs = parseDocuments(fs.readFileSync(file, 'utf8'));
      for (let i = 0; i < docs.length; i++) {
        const doc = docs[i];
        if (!('error' in doc) && doc.value === null) continue;
        let v;
        if ('error' in doc) {
          v = { valid: false, errors: [doc.error] };
        } else {
          try {
            v = await verdict(resolvePlaceholders(doc.value, path.dirname(file)));
          } catch (e) {
            v = { valid: false, errors: [message(e)] };
          }
        }
        if (!v.valid) invalid++;
        process.stdout.write(`${JSON.stringify({ file, document: i, ...v })}\n`);
      }
    }
  }
  return invalid === 0 ? 0 : 1;
}

async function validateLines() {
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  let index = 0;
  const out = [];
  for await (const line of rl) {
    if (line.trim() === '') continue;
    let v;
    try {
      v = await verdict(JSON.parse(line));
    } catch (e) {
      v = { valid: false, errors: [`not JSON: ${message(e)}`] };
    }
    out.push(JSON.stringify({ index, ...v }));
    index++;
    if (out.length >= 1000) {
      process.stdout.write(`${out.join('\n')}\n`);
      out.length = 0;
    }
  }
  if (out.length) process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function bench(dir, rounds) {
  const texts = yamlFiles(dir).map(f => fs.readFileSync(f, 'utf8'));
  const parsed = texts.flatMap(t => parseDocuments(t)).filter(d => !('error' in d) && d.value !== null);
  const entities = parsed.map(d => d.value);
  if (entities.length === 0) throw new Error(`no entities found under ${dir}`);
  // Warm-up: compile the schemas, let the JIT settle.
  let invalid = 0;
  for (const e of entities.slice(0, 2000)) await verdict(e);
  const validateMs = [];
  const parseValidateMs = [];
  for (let r = 0; r < rounds; r++) {
    let t0 = performance.now();
    invalid = 0;
    for (const e of entities) if (!(await verdict(e)).valid) invalid++;
    validateMs.push(performance.now() - t0);
    t0 = performance.now();
    for (const t of texts) {
      for (const d of parseDocuments(t)) {
        if ('error' in d || d.value === null) continue;
        await verdict(d.value);
      }
    }
    parseValidateMs.push(performance.now() - t0);
  }
  const mv = median(validateMs);
  const mp = median(parseValidateMs);
  process.stdout.write(
    `${JSON.stringify({
      entities: entities.length,
      invalid,
      files: texts.length,
      rounds,
      median_validate_ms: Math.round(mv * 10) / 10,
      validate_per_sec: Math.round((entities.length / mv) * 1000),
      median_parse_and_validate_ms: Math.round(mp * 10) / 10,
      parse_and_validate_per_sec: Math.round((entities.length / mp) * 1000),
      versions: VERSIONS,
    })}\n`,
  );
  return 0;
}

async function main(argv) {
  if (argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write(fs.readFileSync(new URL(import.meta.url), 'utf8').split('\n\nimport')[0] + '\n');
    return 0;
  }
  if (argv[0] === '--versions') {
    process.stdout.write(`${JSON.stringify(VERSIONS)}\n`);
    return 0;
  }
  if (argv[0] === '--bench') {
    const dir = argv[1];
    if (!dir) throw new Error('usage: validate.mjs --bench DIR [--rounds N]');
    const i = argv.indexOf('--rounds');
    const rounds = i >= 0 ? Number(argv[i + 1]) : 7;
    if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds expects a positive integer');
    return bench(dir, rounds);
  }
  if (argv.length > 0) return validateFiles(argv);
  return validateLines();
}

main(process.argv.slice(2)).then(
  code => {
    process.exitCode = code;
  },
  e => {
    process.stderr.write(`validate.mjs: ${message(e)}\n`);
    process.exitCode = 2;
  },
);
