// Validates a Grafana dashboard JSON offline against JSON Schemas generated from the
// TypeScript types of @grafana/schema (ts-json-schema-generator), checked with ajv:
//   - the dashboard itself against `Dashboard` (raw/dashboard/x/types.gen.d.ts), strict: no
//     unknown properties anywhere the schema knows the shape;
//   - every panel's `options` against its plugin's `Options` type and, where the plugin has one,
//     `fieldConfig.defaults.custom` against its `FieldConfig` type;
//   - every query target is a Prometheus query on the given datasource uid with an expr and refId.
// Usage: node validate_dashboard.cjs <node_modules> <dashboard.json> <datasource-uid>
// Exit status 0 when valid; errors are printed one per line.
'use strict';
const fs = require('fs');
const path = require('path');

const [nodeModules, dashboardPath, datasourceUid] = process.argv.slice(2);
if (!nodeModules || !dashboardPath || !datasourceUid) {
  console.error('usage: validate_dashboard.cjs <node_modules> <dashboard.json> <datasource-uid>');
  process.exit(2);
}
const need = (name) => require(path.join(nodeModules, name));
const tsj = need('ts-json-schema-generator');
const Ajv = need('ajv').default;
const schemaTypes = path.join(nodeModules, '@grafana/schema/dist/types/raw');

function schemaFor(file, type) {
  return tsj
    .createGenerator({ path: file, type, skipTypeCheck: true, additionalProperties: false })
    .createSchema(type);
}

const ajv = new Ajv({ allErrors: true, strict: false });
const errors = [];
function check(schema, value, where) {
  const validate = ajv.compile(schema);
  if (!validate(value)) {
    for (const e of validate.errors) {
      errors.push(`${where}${e.instancePath} ${e.message}${e.params ? ' ' + JSON.stringify(e.params) : ''}`);
    }
  }
}

const dashboard = JSON.parse(fs.readFileSync(dashboardPath, 'utf8'));
check(schemaFor(path.join(schemaTypes, 'dashboard/x/types.gen.d.ts'), 'Dashboard'), dashboard, 'dashboard');

const pluginSchemas = new Map();
function pluginSchema(type, name) {
  const key = `${type}/${name}`;
  if (!pluginSchemas.has(key)) {
    const file = path.join(schemaTypes, 'composable', type, 'panelcfg/x/types.gen.d.ts');
    let schema = null;
    if (fs.existsSync(file)) {
      try {
        schema = schemaFor(file, name);
      } catch (e) {
        if (name === 'Options') throw e; // every panel plugin has Options; FieldConfig is optional
      }
    } else if (name === 'Options') {
      errors.push(`panel type ${type} has no schema in @grafana/schema`);
    }
    pluginSchemas.set(key, schema);
  }
  return pluginSchemas.get(key);
}

const panels = [];
(function collect(list) {
  for (const p of list || []) {
    if (p.type === 'row') collect(p.panels);
    else panels.push(p);
  }
})(dashboard.panels);
if (panels.length === 0) errors.push('dashboard has no panels');

const ids = new Set();
for (const panel of panels) {
  const where = `panel ${panel.id} "${panel.title}"`;
  if (ids.has(panel.id)) errors.push(`${where}: duplicate id`);
  ids.add(panel.id);
  const options = pluginSchema(panel.type, 'Options');
  if (options) check(options, panel.options || {}, `${where} options`);
  const custom = panel.fieldConfig && panel.fieldConfig.defaults && panel.fieldConfig.defaults.custom;
  if (custom !== undefined) {
    const fc = pluginSchema(panel.type, 'FieldConfig');
    if (fc) check(fc, custom, `${where} fieldConfig.defaults.custom`);
    else errors.push(`${where}: fieldConfig.defaults.custom set but ${panel.type} has no FieldConfig type`);
  }
  if (!Array.isArray(panel.targets) || panel.targets.length === 0) errors.push(`${where}: no queries`);
  const refIds = new Set();
  for (const t of panel.targets || []) {
    const ds = t.datasource || panel.datasource || {};
    if (ds.type !== 'prometheus' || ds.uid !== datasourceUid) {
      errors.push(`${where} target ${t.refId}: datasource ${JSON.stringify(ds)} is not prometheus/${datasourceUid}`);
    }
    if (typeof t.expr !== 'string' || t.expr.trim() === '') errors.push(`${where} target ${t.refId}: empty expr`);
    if (typeof t.refId !== 'string' || refIds.has(t.refId)) errors.push(`${where}: missing or duplicate refId`);
    refIds.add(t.refId);
  }
}

if (errors.length) {
  for (const e of errors) console.log(e);
  process.exit(1);
}
console.log(`valid: ${panels.length} panels, ${[...pluginSchemas.keys()].length} plugin schemas checked`);
