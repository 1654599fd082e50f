// extract.mjs reads the TypeScript sources that @cdktf/provider-aws ships inside the
// source maps of lib/<resource>/index.js and rebuilds, for the resources and data
// sources named on the command line, the schema in the shape of
// `terraform providers schema -json`. The cdktf code generator writes one comment per
// attribute ("// name - computed: x, optional: y, required: z") and one HCL descriptor
// per configurable attribute (isBlock, type, storageClassType): together they carry
// every flag and type a plan needs.
//
// usage: node extract.mjs <package-dir> <out.json> <resource-types-file> <data-source-types-file>
import fs from 'node:fs';
import path from 'node:path';

const [pkgDir, outPath, resFile, dsFile] = process.argv.slice(2);
if (!pkgDir || !outPath || !resFile || !dsFile) {
  console.error('usage: node extract.mjs <package-dir> <out.json> <resource-types-file> <data-source-types-file>');
  process.exit(2);
}
const readList = (f) => fs.readFileSync(f, 'utf8').split('\n').map((s) => s.trim()).filter(Boolean);

function tsSource(dir) {
  const js = path.join(pkgDir, 'lib', dir, 'index.js');
  if (!fs.existsSync(js)) throw new Error(`${js}: not in the package (is the type name right?)`);
  const m = fs.readFileSync(js, 'utf8').match(/sourceMappingURL=data:application\/json;base64,(\S+)/);
  if (!m) throw new Error(`${js}: no inline source map`);
  const sm = JSON.parse(Buffer.from(m[1], 'base64').toString('utf8'));
  if (!sm.sourcesContent || !sm.sourcesContent[0]) throw new Error(`${js}: source map has no sourcesContent`);
  return sm.sourcesContent[0];
}

// body returns the text of the top-level declaration that starts with header.
function body(src, header) {
  const i = src.indexOf(header);
  if (i < 0) return null;
  const next = src.indexOf('\nexport ', i + header.length);
  return next < 0 ? src.slice(i) : src.slice(i, next);
}

const lcfirst = (s) => s[0].toLowerCase() + s.slice(1);
const primitive = { string: 'string', number: 'number', boolean: 'bool' };

function hclEntries(text) {
  const out = new Map();
  const re = /(\w+): \{\s*value: [^\n]*\n\s*isBlock: (true|false),\s*type: "(\w+)",\s*storageClassType: "(\w+)",/g;
  let m;
  while ((m = re.exec(text))) out.set(m[1], { isBlock: m[2] === 'true', kind: m[3], storage: m[4] });
  return out;
}

function comments(text) {
  const out = new Map();
  const re = /\/\/ (\w+) - computed: (true|false), optional: (true|false), required: (true|false)\n([^\n]*)\n([^\n]*)\n([^\n]*)/g;
  let m;
  while ((m = re.exec(text))) {
    out.set(m[1], { computed: m[2] === 'true', optional: m[3] === 'true', required: m[4] === 'true', code: m[5] + '\n' + m[6] + '\n' + m[7] });
  }
  return out;
}

function structName(cls) {
  return cls.replace(/(List|OutputReference|Map)$/, '');
}

function scalarType(storage, where) {
  const lists = { stringList: 'string', numberList: 'number', booleanList: 'bool' };
  const maps = { stringMap: 'string', numberMap: 'number', booleanMap: 'bool', anyMap: 'dynamic' };
  if (primitive[storage]) return primitive[storage];
  if (storage === 'any') return 'dynamic';
  if (lists[storage]) return lists[storage];
  if (maps[storage]) return maps[storage];
  throw new Error(`${where}: unknown storage class ${storage}`);
}

class Extractor {
  constructor(src, where) { this.src = src; this.where = where; }

  // fields returns name -> {flags, entry, code} for struct S (top = main class).
  fields(S, top) {
    const classText = top ? body(this.src, `export class ${S} extends`) : body(this.src, `export class ${S}OutputReference extends`);
    const hclText = top ? (classText || '').slice((classText || '').indexOf('synthesizeHclAttributes()')) : body(this.src, `export function ${lcfirst(S)}ToHclTerraform(`);
    if (top && !classText) throw new Error(`${this.where}: class ${S} not found`);
    const entries = hclText ? hclEntries(hclText) : new Map();
    const flags = classText ? comments(classText) : new Map();
    const names = new Set([...entries.keys(), ...flags.keys()]);
    const out = new Map();
    for (const n of [...names].sort()) {
      const f = flags.get(n) || { computed: false, optional: true, required: false, code: '' };
      out.set(n, { ...f, entry: entries.get(n) });
    }
    return out;
  }

  // elidedBlock tells whether n is a nested block the cdktf generator gave up on
  // (too deeply nested) and typed `any`: its interface doc still says "<n> block".
  elidedBlock(S, top, n) {
    const iface = body(this.src, top ? `export interface ${S}Config ` : `export interface ${S} {`) || '';
    return new RegExp(`\\* ${n} block\\n`).test(iface);
  }

  // block builds a schema block (attributes + block_types) for struct S.
  block(S, top, where = '') {
    const attributes = {};
    const blockTypes = {};
    for (const [n, f] of this.fields(S, top)) {
      const e = f.entry;
      if (e && e.storage === 'any' && this.elidedBlock(S, top, n)) {
        // Left out rather than guessed: a configuration that uses it fails validation.
        omitted.push(`${this.where}: ${where}${n}`);
        continue;
      }
      if (e && e.isBlock) {
        const nested = structName(e.storage);
        const bt = { nesting_mode: e.kind === 'set' ? 'set' : 'list', block: this.block(nested, false, `${where}${n}.`) };
        // single blocks are lists of at most one element (SDKv2 MaxItems: 1); the
        // generator wraps them in an OutputReference instead of a List.
        if (e.kind === 'struct' || /= new \w+OutputReference\(/.test(f.code)) bt.max_items = 1;
        if (f.required) bt.min_items = 1;
        blockTypes[n] = bt;
        continue;
      }
      const a = { type: e ? this.entryType(e) : this.computedType(n, f.code) };
      if (f.required) a.required = true;
      if (f.optional) a.optional = true;
      if (f.computed) a.computed = true;
      if (!a.required && !a.optional && !a.computed) a.optional = true;
      attributes[n] = a;
    }
    const b = { attributes };
    if (Object.keys(blockTypes).length) b.block_types = blockTypes;
    return b;
  }

  entryType(e) {
    if (/^(string|number|boolean|any)$/.test(e.storage) || /(List|Map)$/.test(e.storage) && /^(string|number|boolean|any)(List|Map)$/.test(e.storage)) {
      const t = scalarType(e.storage, this.where);
      if (e.kind === 'simple') return t;
      if (e.kind === 'list' || e.kind === 'set' || e.kind === 'map') return [e.kind, t];
      throw new Error(`${this.where}: kind ${e.kind} with ${e.storage}`);
    }
    const obj = this.objectType(structName(e.storage));
    if (e.kind === 'struct') return obj;
    return [e.kind === 'set' ? 'set' : e.kind === 'map' ? 'map' : 'list', obj];
  }

  // objectType is the cty object type of struct S used as an attribute value.
  objectType(S) {
    const attrs = {};
    for (const [n, f] of this.fields(S, false)) {
      attrs[n] = f.entry ? this.entryType(f.entry) : this.computedType(n, f.code);
    }
    return ['object', attrs];
  }

  computedType(n, code) {
    const getters = {
      getStringAttribute: 'string', getNumberAttribute: 'number', getBooleanAttribute: 'bool',
      getStringMapAttribute: ['map', 'string'], getNumberMapAttribute: ['map', 'number'],
      getBooleanMapAttribute: ['map', 'bool'], getListAttribute: ['list', 'string'],
      getNumberListAttribute: ['list', 'number'], interpolationForAttribute: 'dynamic',
    };
    let m = code.match(/return (cdktf\.Fn\.tolist\()?this\.(\w+)\(/);
    if (m && getters[m[2]]) {
      const t = getters[m[2]];
      // the generator wraps sets in tolist() so that they can be indexed
      return m[1] && Array.isArray(t) && t[0] === 'list' ? ['set', t[1]] : t;
    }
    m = code.match(/= new ([\w.]+)\(this, "\w+"(?:, (true|false))?\)/);
    if (m) {
      if (m[1].startsWith('cdktf.')) {
        const t = { 'cdktf.StringMap': ['map', 'string'], 'cdktf.NumberMap': ['map', 'number'], 'cdktf.BooleanMap': ['map', 'bool'], 'cdktf.AnyMap': ['map', 'dynamic'], 'cdktf.StringMapList': ['list', ['map', 'string']] }[m[1]];
        if (!t) throw new Error(`${this.where}: ${n}: unknown cdktf type ${m[1]}`);
        return t;
      }
      const obj = this.objectType(structName(m[1]));
      if (m[1].endsWith('Map')) return ['map', obj];
      return [m[2] === 'true' ? 'set' : 'list', obj];
    }
    throw new Error(`${this.where}: cannot tell the type of computed attribute ${n} from:\n${code}`);
  }
}

function topClass(src, base, where) {
  const m = src.match(new RegExp(`export class (\\w+) extends cdktf\\.${base} `));
  if (!m) throw new Error(`${where}: no class extending cdktf.${base}`);
  return m[1];
}

function schemaFor(dir, base) {
  const src = tsSource(dir);
  const ex = new Extractor(src, `lib/${dir}`);
  return { version: 0, block: ex.block(topClass(src, base, `lib/${dir}`), true) };
}

const omitted = [];
const resources = {};
for (const t of readList(resFile)) resources[t] = schemaFor(t.replace(/^aws_/, '').replaceAll('_', '-'), 'TerraformResource');
const dataSources = {};
for (const t of readList(dsFile)) dataSources[t] = schemaFor('data-' + t.replaceAll('_', '-'), 'TerraformDataSource');
const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
const provider = schemaFor('provider', 'TerraformProvider');

const out = {
  format_version: '1.0',
  generated_from: `${pkg.name}@${pkg.version} (hashicorp/aws 6.25.0 schema)`,
  // blocks the package types as `any` (too deeply nested for cdktf): not in this schema
  omitted_blocks: omitted,
  provider_schemas: {
    'registry.terraform.io/hashicorp/aws': { provider, resource_schemas: resources, data_source_schemas: dataSources },
  },
};
fs.writeFileSync(outPath, JSON.stringify(out, null, 1) + '\n');
console.error(`wrote ${outPath}: ${Object.keys(resources).length} resources, ${Object.keys(dataSources).length} data sources`);
