#!/usr/bin/env node
// Runs the TypeScript sources directly: tsx compiles each module on load,
// so a checkout needs no separate build step before `npx tinykube`.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
