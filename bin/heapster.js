#!/usr/bin/env node
// Runs the TypeScript entry point through tsx, so the package works without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv.slice(2));
