#!/usr/bin/env node
// The compiled CLI (npm run build, run by `npm install` through `prepare`).
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
