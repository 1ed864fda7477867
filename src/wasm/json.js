// A caller's JS value as JSON text, for the wasm core (`js_to_json` in convert.rs). The walk
// runs here, in one call, instead of as one wasm-to-JS call per member: the JSON text crosses
// once and serde_json parses it.
//
// The rules (the same the Rust walk had):
// - undefined and null are null; members that are undefined or functions are left out;
// - BigInts become decimal strings, a Uint8Array becomes 0x-prefixed hex;
// - numbers stay numbers: safe integers are written as integers; any other finite number is
//   passed aside, exact (serde_json reads 17-digit decimals to the nearest-but-one double), and
//   written as -0.0, which no other number is written as; NaN and Infinity, functions and
//   symbols (elsewhere than as a member) are refused;
// - `toJSON` is not called: data is what the object holds, not what it says it holds;
// - a lone UTF-16 surrogate in a string becomes U+FFFD;
// - bounded: nesting, array items plus object members, text, and each Uint8Array.
//
// A refusal is returned as `{ refused: message }`; what the caller's value throws (a getter, a
// Proxy trap, a revoked Proxy) is thrown on, and the core reports it with the exception as cause.

const MAX_DEPTH = 64;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

class Refusal {
  constructor(message) {
    this.message = message;
  }
}

/**
 * @param {unknown} value
 * @param {number} maxElements array items and object members, all levels together
 * @param {number} maxText UTF-16 units of escaped string text (strings, keys, BigInts, hex)
 * @param {number} maxBytes bytes of one Uint8Array
 * @returns {string | [string, Float64Array] | { refused: string }} the text, with the numbers
 *   written as -0.0 in the order they appear when there are any
 */
export function jsonText(value, maxElements, maxText, maxBytes) {
  const budget = { elements: maxElements, text: maxText, maxElements, maxText, maxBytes, floats: [] };
  try {
    const text = write(value, 0, budget);
    return budget.floats.length ? [text, Float64Array.from(budget.floats)] : text;
  } catch (e) {
    if (e instanceof Refusal) return { refused: e.message };
    throw e;
  }
}

function text(s, budget) {
  // Refused before escaping: escaping only lengthens, and a huge string must cost nothing.
  if (s.length > budget.text) throw new Refusal(`value holds more than ${budget.maxText} characters of text`);
  // A lone surrogate becomes U+FFFD, as a JS string read into Rust always became.
  const quoted = JSON.stringify(typeof s.isWellFormed === 'function' && !s.isWellFormed() ? s.toWellFormed() : s);
  budget.text -= quoted.length - 2;
  if (budget.text < 0) throw new Refusal(`value holds more than ${budget.maxText} characters of text`);
  return quoted;
}

function elements(count, budget) {
  // Only a Proxy can say something other than 0..2^32 - 1: over the budget, or empty.
  const n = typeof count === 'number' && count > 0 ? Math.floor(count) : 0;
  budget.elements -= n;
  if (!(budget.elements >= 0)) {
    throw new Refusal(`value has more than ${budget.maxElements} array items and object members`);
  }
  return n;
}

function number(n, budget) {
  if (!Number.isFinite(n)) throw new Refusal('NaN or Infinity is not JSON');
  if (Number.isSafeInteger(n)) return String(n === 0 ? 0 : n);
  budget.floats.push(n);
  return '-0.0';
}

function bytes(array, budget) {
  const claimed = array.length;
  if (!(claimed <= budget.maxBytes)) throw tooManyBytes(budget);
  // A fresh copy has its own length: an own `length` property that lies cannot widen it.
  const copy = new Uint8Array(array);
  if (copy.length > budget.maxBytes) throw tooManyBytes(budget);
  let out = '"0x';
  for (let i = 0; i < copy.length; i++) out += HEX[copy[i]];
  copy.fill(0);
  budget.text -= out.length - 1;
  if (budget.text < 0) throw new Refusal(`value holds more than ${budget.maxText} characters of text`);
  return `${out}"`;
}

function tooManyBytes(budget) {
  return new Refusal(`a Uint8Array in the value is over ${budget.maxBytes} bytes`);
}

function write(value, depth, budget) {
  if (depth > MAX_DEPTH) throw new Refusal('value is nested too deeply');
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return text(value, budget);
    case 'number':
      return number(value, budget);
    case 'bigint':
      return text(value.toString(10), budget);
    case 'function':
    case 'symbol':
      throw new Refusal('functions and symbols are not data');
    default:
      break;
  }
  if (Array.isArray(value)) {
    const len = elements(value.length, budget);
    let out = '[';
    for (let i = 0; i < len; i++) {
      if (i) out += ',';
      out += write(value[i], depth + 1, budget);
    }
    return `${out}]`;
  }
  if (value instanceof Uint8Array) return bytes(value, budget);
  const keys = Object.keys(value);
  elements(keys.length, budget);
  let out = '{';
  let first = true;
  for (const key of keys) {
    const item = value[key];
    if (item === undefined || typeof item === 'function') continue;
    const member = write(item, depth + 1, budget);
    out += `${first ? '' : ','}${text(key, budget)}:${member}`;
    first = false;
  }
  return `${out}}`;
}
