#!/usr/bin/env node
// The `countersign` command. It runs the TypeScript sources through tsx's loader, so a clone
// needs no build step: `npm install && npx countersign serve`.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
