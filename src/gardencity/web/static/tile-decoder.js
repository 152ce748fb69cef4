/* The map's vector tiles decoded off the page's thread (a Web Worker of mapcore.js). A tile's
   bytes come in (transferred); one layer's features go back as packed arrays (transferred, not
   copied), so that the page only draws them and keeps no object per vertex:
   xy: the vertices (x, y, …) in units of a 512-pixel tile; rings: each ring's first vertex
   (and the end); parts: each feature's first ring (and the end); boxes: minX, minY, maxX, maxY
   per feature; ids: each feature's id (NaN when it has none); types: 1 point, 2 line,
   3 polygon; classOf: where asked (`classKey`), each feature's index in `classes`, the
   values of that property (null where a feature has none). */
"use strict";
importScripts("/static/vendor/pbf/pbf.js");

const TILE = 512;
const GEOMETRY = { moveTo: 1, lineTo: 2, closePath: 7 };

function readValue(pbf) {
  const end = pbf.readVarint() + pbf.pos;
  let value = null;
  while (pbf.pos < end) {
    const tag = pbf.readVarint() >> 3;
    value = tag === 1 ? pbf.readString() : tag === 2 ? pbf.readFloat() : tag === 3 ? pbf.readDouble()
      : tag === 4 ? pbf.readVarint64() : tag === 5 ? pbf.readVarint() : tag === 6 ? pbf.readSVarint()
        : tag === 7 ? pbf.readBoolean() : null;
  }
  return value;
}
// a layer's name, extent, keys and values; its features' places in the bytes, read once the
// keys and values (which may follow them) are known
function readLayer(tag, layer, pbf) {
  if (tag === 1) layer.name = pbf.readString();
  else if (tag === 2) layer.features.push(pbf.pos);
  else if (tag === 3) layer.keys.push(pbf.readString());
  else if (tag === 4) layer.values.push(readValue(pbf));
  else if (tag === 5) layer.extent = pbf.readVarint();
}
function readTile(tag, layers, pbf) {
  if (tag === 3) layers.push(pbf.readMessage(readLayer, { features: [], keys: [], values: [], extent: 4096 }));
}
function readFeature(tag, feature, pbf) {
  if (tag === 1) feature.id = pbf.readVarint();
  else if (tag === 2) feature.tags = pbf.pos;
  else if (tag === 3) feature.type = pbf.readVarint();
  else if (tag === 4) feature.geometry = pbf.pos;
}

// the value of key number `key` among a feature's tags, or null
function tagValue(pbf, layer, at, key) {
  if (at === undefined || key < 0) return null;
  pbf.pos = at;
  const end = pbf.readVarint() + pbf.pos;
  while (pbf.pos < end) {
    const k = pbf.readVarint(), v = pbf.readVarint();
    if (k === key) return layer.values[v];
  }
  return null;
}

// vertices are written here, grown as needed, then copied out at their count
let scratch = new Float32Array(1 << 16);
function room(size) {
  if (size <= scratch.length) return;
  const grown = new Float32Array(Math.max(size, scratch.length * 2));
  grown.set(scratch);
  scratch = grown;
}

// a feature's geometry appended to the packed vertices and rings; its box returned through `box`
function readGeometry(pbf, at, scale, out, box) {
  pbf.pos = at;
  const end = pbf.readVarint() + pbf.pos;
  let command = 1, left = 0, x = 0, y = 0, ringStart = out.vertices;
  while (pbf.pos < end) {
    if (left <= 0) {
      const word = pbf.readVarint();
      command = word & 7;
      left = word >> 3;
    }
    left -= 1;
    room(2 * out.vertices + 2);
    const v = 2 * out.vertices;
    if (command === GEOMETRY.moveTo || command === GEOMETRY.lineTo) {
      x += pbf.readSVarint() * scale;
      y += pbf.readSVarint() * scale;
      if (command === GEOMETRY.moveTo) { ringStart = out.vertices; out.rings.push(ringStart); }
      scratch[v] = x;
      scratch[v + 1] = y;
      if (x < box[0]) box[0] = x;
      if (y < box[1]) box[1] = y;
      if (x > box[2]) box[2] = x;
      if (y > box[3]) box[3] = y;
    } else if (command === GEOMETRY.closePath) {  // the ring's first vertex again
      scratch[v] = scratch[2 * ringStart];
      scratch[v + 1] = scratch[2 * ringStart + 1];
    } else {
      throw new Error(`unknown geometry command ${command}`);
    }
    out.vertices += 1;
  }
}

function pack(buffer, layerName, classKey) {
  const pbf = new Pbf(buffer);
  const layer = pbf.readFields(readTile, []).find((l) => l.name === layerName);
  const count = layer ? layer.features.length : 0;
  const out = { vertices: 0, rings: [] };
  const parts = new Uint32Array(count + 1), boxes = new Float32Array(4 * count);
  const ids = new Float64Array(count), types = new Uint8Array(count), classOf = new Uint16Array(count);
  const classes = [], classIndex = new Map();
  const key = layer && classKey ? layer.keys.indexOf(classKey) : -1;
  const box = new Float64Array(4);
  for (let f = 0; f < count; f += 1) {
    pbf.pos = layer.features[f];
    const feature = pbf.readMessage(readFeature, { id: NaN, type: 0 });
    parts[f] = out.rings.length;
    box.set([Infinity, Infinity, -Infinity, -Infinity]);
    if (feature.geometry !== undefined) readGeometry(pbf, feature.geometry, TILE / layer.extent, out, box);
    boxes.set(box, 4 * f);
    ids[f] = feature.id;
    types[f] = feature.type;
    if (classKey) {
      const value = tagValue(pbf, layer, feature.tags, key);
      if (!classIndex.has(value)) { classIndex.set(value, classes.length); classes.push(value); }
      classOf[f] = classIndex.get(value);
    }
  }
  parts[count] = out.rings.length;
  out.rings.push(out.vertices);
  return {
    count, xy: scratch.slice(0, 2 * out.vertices), rings: Uint32Array.from(out.rings), parts, boxes, ids, types,
    classOf: classKey ? classOf : null, classes: classKey ? classes : null,
  };
}

self.onmessage = ({ data }) => {
  try {
    const tile = pack(data.buffer, data.layer, data.classKey);
    const moved = [tile.xy.buffer, tile.rings.buffer, tile.parts.buffer, tile.boxes.buffer, tile.ids.buffer, tile.types.buffer];
    if (tile.classOf) moved.push(tile.classOf.buffer);
    self.postMessage({ id: data.id, tile }, moved);
  } catch (err) {
    self.postMessage({ id: data.id, error: String(err && err.message ? err.message : err) });
  }
};
