'use strict';
// Reference CurrencyService for `make bench`: the same service on the
// library upstream's currency service is built on (@grpc/grpc-js with
// @grpc/proto-loader), so meshsim's C server is measured against it in the
// same run. Kept under bench/, never shipped or installed.
//
// Differences from upstream's server, on purpose: no per-request logging,
// tracing or profiler (they would only slow the reference down, and the bar
// is set against the fastest fair grpc-js server), and an unknown currency
// code is a clear INVALID_ARGUMENT rather than a garbage result.
//
// Environment: PORT (default 7000), BIND_ADDR (default 127.0.0.1),
// PROTO_PATH (default ../../proto/demo.proto), RATES_FILE (default the copy
// of upstream's rates beside this file).

const path = require('path');
const fs = require('fs');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTO_PATH = process.env.PROTO_PATH ||
  path.join(__dirname, '..', '..', 'proto', 'demo.proto');
const RATES_FILE = process.env.RATES_FILE ||
  path.join(__dirname, 'currency_conversion.json');
const PORT = process.env.PORT || '7000';
const BIND_ADDR = process.env.BIND_ADDR || '127.0.0.1';

const NANOS_PER_UNIT = 1e9;

// Rates per 1 EUR, read once: the file holds decimal strings.
const rates = Object.create(null);
for (const [code, rate] of Object.entries(JSON.parse(fs.readFileSync(RATES_FILE, 'utf8')))) {
  rates[code] = Number(rate);
}
const supported = Object.keys(rates);

// Move the fractional part of |units| into nanos, then whole billions of
// nanos back into units.
function carry(units, nanos) {
  nanos += (units % 1) * NANOS_PER_UNIT;
  units = Math.floor(units) + Math.floor(nanos / NANOS_PER_UNIT);
  nanos = nanos % NANOS_PER_UNIT;
  return { units, nanos };
}

// Source currency → EUR (divide, carry, round nanos) → target currency
// (multiply, carry, floor both parts).
function convertMoney(from, toCode) {
  const fromRate = rates[from.currency_code];
  const toRate = rates[toCode];
  const eur = carry(Number(from.units) / fromRate, from.nanos / fromRate);
  eur.nanos = Math.round(eur.nanos);
  const out = carry(eur.units * toRate, eur.nanos * toRate);
  return {
    currency_code: toCode,
    units: Math.floor(out.units),
    nanos: Math.floor(out.nanos),
  };
}

function convert(call, callback) {
  const req = call.request;
  const from = req.from;
  if (!from || !(from.currency_code in rates) || !(req.to_code in rates)) {
    callback({ code: grpc.status.INVALID_ARGUMENT, details: 'unsupported currency code' });
    return;
  }
  callback(null, convertMoney(from, req.to_code));
}

function getSupportedCurrencies(call, callback) {
  callback(null, { currency_codes: supported });
}

function main() {
  const def = protoLoader.loadSync(PROTO_PATH, {
    keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true,
  });
  const hipstershop = grpc.loadPackageDefinition(def).hipstershop;
  const server = new grpc.Server();
  server.addService(hipstershop.CurrencyService.service, {
    convert, getSupportedCurrencies,
  });
  server.bindAsync(`${BIND_ADDR}:${PORT}`, grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) {
      console.error(`grpcjs reference: bind ${BIND_ADDR}:${PORT}: ${err.message}`);
      process.exit(1);
    }
    console.log(`grpcjs reference CurrencyService listening on ${BIND_ADDR}:${port}`);
  });
  const stop = () => server.tryShutdown(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (require.main === module) main();
module.exports = { convertMoney, rates };
