#!/usr/bin/env python3
"""Writes malformed.json: hostile inputs and the error code each must give.

Run by hand when cases change (python3 gen_malformed.py); the output is committed and
read by the Rust tests (tests/malformed.rs) and the JS tests (tests/js).
Base64 here is Python's, independent of the crate's codec.
"""
import base64, json

def b64(obj=None, raw=None):
    data = raw if raw is not None else json.dumps(obj, separators=(",", ":")).encode()
    return base64.b64encode(data).decode()

REQ = {"scheme": "exact", "network": "eip155:8453", "amount": "10000",
       "asset": "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913",
       "payTo": "0x209693Bc6afc0C5328bA36FaF03C514EF312287C", "maxTimeoutSeconds": 60,
       "extra": {"name": "USD Coin", "version": "2"}}
V1REQ = {"scheme": "exact", "network": "base", "maxAmountRequired": "10000",
         "asset": REQ["asset"], "payTo": REQ["payTo"], "resource": "https://a.example/x",
         "description": "", "mimeType": "", "maxTimeoutSeconds": 60}

def pr(**changes):
    """A v2 PaymentRequired whose single requirement has `changes` (None deletes)."""
    req = dict(REQ)
    for k, v in changes.items():
        if v is None: req.pop(k, None)
        else: req[k] = v
    return {"x402Version": 2, "resource": {"url": "https://a.example/x"}, "accepts": [req]}

def v1(**changes):
    req = dict(V1REQ)
    for k, v in changes.items():
        if v is None: req.pop(k, None)
        else: req[k] = v
    return {"x402Version": 1, "error": "", "accepts": [req]}

cases = []
def resp(name, code, status=402, header=None, body="", body_repeat=None):
    case = {"kind": "response", "name": name, "status": status, "body": body, "code": code}
    if header is not None: case["headers"] = {"PAYMENT-REQUIRED": header}
    if body_repeat: case["bodyRepeat"] = body_repeat
    cases.append(case)
def header(name, code, hdr):
    resp(name, code, header=hdr)
def body(name, code, obj):
    resp(name, code, body=json.dumps(obj))
def decode(name, document, value, code):
    cases.append({"kind": "decode", "name": name, "document": document, "value": value, "code": code})

resp("status 200 is not a 402", "NOT_402", status=200, body="{}")
resp("empty body and no header", "INVALID_402")
resp("body is not JSON", "INVALID_402", body="<html>Payment Required</html>")
resp("body is a JSON string", "INVALID_402", body='"402"')
resp("body JSON of another shape", "INVALID_402", body='{"hello":1}')
resp("body over 256 KiB", "BODY_TOO_LARGE", body_repeat={"char": "A", "times": 300000})
header("header not base64", "INVALID_HEADER", "!!!not-base64!!!")
header("header with inner whitespace", "INVALID_HEADER", b64(pr())[:8] + " " + b64(pr())[8:])
header("header in base64url alphabet", "INVALID_HEADER", b64(raw=b"\xfb\xff\xfe").replace("+", "-").replace("/", "_"))
header("header with broken padding", "INVALID_HEADER", b64(raw=b"ab") + "=")
header("header decodes to non-UTF-8", "INVALID_HEADER", b64(raw=b"\xff\xfe{}"))
header("header decodes to non-JSON", "INVALID_JSON", b64(raw=b"x402Version=2"))
header("header JSON nested 10000 deep", "INVALID_JSON", b64(raw=b"[" * 10000 + b"]" * 10000))
header("header over 32 KiB", "HEADER_TOO_LARGE", "A" * 40000)
header("header JSON is an array", "INVALID_402", b64([]))
header("header without x402Version", "INVALID_402", b64({"accepts": [REQ]}))
header("header x402Version 3", "UNSUPPORTED_VERSION", b64(dict(pr(), x402Version=3)))
header("header x402Version as string", "UNSUPPORTED_VERSION", b64(dict(pr(), x402Version="2")))
header("header carries a v1 document", "UNSUPPORTED_VERSION", b64(v1()))
header("accepts missing", "INVALID_402", b64({"x402Version": 2}))
header("accepts is an object", "INVALID_402", b64({"x402Version": 2, "accepts": {}}))
header("accepts is empty", "NO_VALID_REQUIREMENT", b64({"x402Version": 2, "accepts": []}))
header("resource is a string", "INVALID_402", b64(dict(pr(), resource="https://a.example/x")))
header("extensions is an array", "INVALID_402", b64(dict(pr(), extensions=[])))
header("requirement is null", "INVALID_402", b64({"x402Version": 2, "accepts": [None]}))
header("negative amount", "INVALID_AMOUNT", b64(pr(amount="-1")))
header("fractional amount", "INVALID_AMOUNT", b64(pr(amount="0.01")))
header("exponent amount", "INVALID_AMOUNT", b64(pr(amount="1e4")))
header("hex amount", "INVALID_AMOUNT", b64(pr(amount="0x2710")))
header("empty amount", "INVALID_AMOUNT", b64(pr(amount="")))
header("amount 2^256", "AMOUNT_OVERFLOW", b64(pr(amount=str(2**256))))
header("amount of 1000 digits", "AMOUNT_OVERFLOW", b64(pr(amount="9" * 1000)))
header("amount as a JSON number", "INVALID_402", b64(pr(amount=10000)))
header("amount missing", "INVALID_402", b64(pr(amount=None)))
header("network not CAIP-2", "INVALID_NETWORK", b64(pr(network="mainnet")))
header("eip155 chain id not decimal", "INVALID_NETWORK", b64(pr(network="eip155:0x2105")))
header("network as a number", "INVALID_402", b64(pr(network=8453)))
header("maxTimeoutSeconds as string", "INVALID_402", b64(pr(maxTimeoutSeconds="60")))
header("maxTimeoutSeconds negative", "INVALID_402", b64(pr(maxTimeoutSeconds=-1)))
header("maxTimeoutSeconds fractional", "INVALID_402", b64(pr(maxTimeoutSeconds=1.5)))
header("payTo empty", "INVALID_402", b64(pr(payTo="")))
header("scheme null", "INVALID_402", b64(pr(scheme=None) | {"accepts": [dict(REQ, scheme=None)]}))
body("v2 body with bad amount", "INVALID_AMOUNT", pr(amount="+5"))
body("v1 body with hex amount", "INVALID_AMOUNT", v1(maxAmountRequired="0x10"))
body("v1 body missing payTo", "INVALID_402", v1(payTo=None))
body("v1 body with unknown network", "INVALID_NETWORK", v1(network="kairos-testnet"))
body("body x402Version 0", "UNSUPPORTED_VERSION", dict(pr(), x402Version=0))
body("body x402Version 2.5", "UNSUPPORTED_VERSION", dict(pr(), x402Version=2.5))
body("body x402Version null", "UNSUPPORTED_VERSION", dict(pr(), x402Version=None))
decode("payload missing accepted", "PaymentPayload", b64({"x402Version": 2, "payload": {}}), "INVALID_PAYLOAD")
decode("payload version as word", "PaymentPayload", b64({"x402Version": "two", "accepted": {}, "payload": {}}), "INVALID_PAYLOAD")
decode("payload header not base64", "PaymentPayload", "%%%", "INVALID_HEADER")
decode("payload header huge", "PaymentPayload", "QUFB" * 9000, "HEADER_TOO_LARGE")
decode("settlement success as string", "SettlementResponse", b64({"success": "yes", "transaction": "", "network": "x"}), "INVALID_SETTLEMENT_RESPONSE")
decode("settlement not JSON", "SettlementResponse", b64(raw=b"ok"), "INVALID_JSON")

json.dump({"about": "Hostile inputs and their stable error codes; generated by gen_malformed.py.",
           "cases": cases}, open("malformed.json", "w"), indent=1)
print(len(cases), "cases")
