// Runtime-neutral checks of the x402-wasm package API: the same function runs in Node,
// in Chromium and in workerd. It imports nothing; callers pass the package and vectors.

/** Runs the spec vectors and the malformed-input table through `x402`. */
export function runChecks(x402, spec, malformed) {
  const failures = [];
  let count = 0;
  const check = (name, ok, detail = '') => {
    count += 1;
    if (!ok) failures.push(`${name}${detail ? `: ${detail}` : ''}`);
  };
  const codeOf = (fn) => {
    try {
      fn();
      return 'accepted';
    } catch (e) {
      if (!(e instanceof x402.X402Error)) return `not an X402Error: ${e}`;
      return e.code;
    }
  };
  const same = (a, b) => JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));

  for (const v of spec.headers) {
    const document = v.document === 'PaymentPayloadV1' ? 'PaymentPayload' : v.document;
    const decoded = x402.decodeHeader(v.value, document);
    check(`spec ${v.name} decodes to the documented JSON`, same(decoded, v.json), JSON.stringify(decoded));
  }
  const [required, signature] = spec.headers;
  const challenge = x402.recognizePaymentRequired(402, { 'Payment-Required': required.value }, '{}');
  check('spec 402 recognised', challenge.dialect === 'x402-v2-header'
    && challenge.requirements[0].amount === '10000'
    && challenge.requirements[0].network === 'eip155:84532'
    && same(challenge.requirements[0].raw, signature.json.accepted));
  const header = x402.encodePaymentHeader(signature.json);
  check('spec payload re-encodes to the same header', header === signature.value, header);
  const unicode = x402.encodeHeader({ name: 'Tëst ✓' });
  check('encoding is base64 of UTF-8', unicode === 'eyJuYW1lIjoiVMOrc3Qg4pyTIn0=', unicode);

  for (const c of malformed.cases) {
    let got;
    if (c.kind === 'response') {
      const body = c.bodyRepeat ? c.bodyRepeat.char.repeat(c.bodyRepeat.times) : c.body;
      got = codeOf(() => x402.recognizePaymentRequired(c.status, c.headers ?? {}, body));
    } else {
      got = codeOf(() => x402.decodeHeader(c.value, c.document));
    }
    check(`malformed "${c.name}"`, got === c.code, `want ${c.code}, got ${got}`);
  }
  check('price is exact', x402.parsePrice('$0.01', 6).amount === '10000');
  check('v1 names map', x402.toCaip2('base-sepolia') === 'eip155:84532'
    && x402.toV1Network('eip155:8453') === 'base');
  return { count, failures };
}

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys(value[k])]));
  }
  return value;
}
