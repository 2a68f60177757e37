// Compiles core/portfolio/estimators/cross-products.wat and prints the base64 bytes that
// cross-products.ts embeds (CROSS_PRODUCTS_WASM). wabt is a dev dependency (WebAssembly, no
// platform binaries). Usage: node scripts/build-wasm.mjs
import { readFile } from 'node:fs/promises';
import wabtInit from 'wabt';

const source = new URL('../core/portfolio/estimators/cross-products.wat', import.meta.url);
const wabt = await wabtInit();
const module = wabt.parseWat('cross-products.wat', await readFile(source, 'utf8'), { simd: true });
process.stdout.write(`${Buffer.from(module.toBinary({}).buffer).toString('base64')}\n`);
