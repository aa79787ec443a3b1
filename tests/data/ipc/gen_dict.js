// Generates the dictionary-encoded IPC fixtures dict.arrows (stream format) and
// dict.arrow (file format) with the npm package apache-arrow (21.x):
//   npm install apache-arrow@21 && node gen_dict.js <output dir>
// Columns: color (dictionary<utf8, int32>, with a null), n (int64), tags (list<utf8>).
const arrow = require('apache-arrow');
const fs = require('fs');
const path = require('path');

const out = process.argv[2] || '.';
const dictType = new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32());
const schema = new arrow.Schema([
    new arrow.Field('color', dictType, true),
    new arrow.Field('n', new arrow.Int64(), true),
    new arrow.Field('tags', new arrow.List(new arrow.Field('item', new arrow.Utf8(), true)), true),
]);

function batch(colors, ns, tags) {
    return new arrow.Table({
        color: arrow.vectorFromArray(colors, dictType),
        n: arrow.vectorFromArray(ns.map((v) => (v === null ? null : BigInt(v))), new arrow.Int64()),
        tags: arrow.vectorFromArray(tags, new arrow.List(new arrow.Field('item', new arrow.Utf8(), true))),
    }).batches[0];
}

const batches = [
    batch(['red', 'green', null, 'red'], [1, 2, 3, null], [['a'], [], null, ['b', 'c']]),
    batch(['blue', 'red'], [5, 6], [['d'], ['e', null]]),
];
// The stream replaces the dictionary for its second batch; the file format does not
// allow replacement, so it holds the same rows in one batch.
const single = batch(['red', 'green', null, 'red', 'blue', 'red'], [1, 2, 3, null, 5, 6],
    [['a'], [], null, ['b', 'c'], ['d'], ['e', null]]);
fs.writeFileSync(path.join(out, 'dict.arrows'),
    arrow.tableToIPC(new arrow.Table(schema, batches), 'stream'));
fs.writeFileSync(path.join(out, 'dict.arrow'),
    arrow.tableToIPC(new arrow.Table(schema, [single]), 'file'));
