/**
 * The loader process of arena-fixture.ts: loads the fixture described by argv[2] (JSON), prints what it
 * loaded as one JSON line, and keeps everything open until its stdin closes.
 */
import { loadArenaFixture, type ArenaFixtureOptions } from './arena-fixture.js';

const info = loadArenaFixture(JSON.parse(process.argv[2] ?? '{}') as ArenaFixtureOptions);
process.stdout.write(`${JSON.stringify(info)}\n`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
