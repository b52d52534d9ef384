// Entry of a `pipe run` server process (spawned detached by the client, see client.ts):
// argv[2] is the ServerConfig as JSON.
import { serve, type ServerConfig } from './server.js';

const arg = process.argv[2];
if (arg === undefined) {
  process.stderr.write('usage: server-main.js <config-json> (started by `pipe run`)\n');
  process.exit(2);
}
try {
  await serve(JSON.parse(arg) as ServerConfig);
} catch (e) {
  process.stderr.write(`${new Date().toISOString()} [pid ${process.pid}] server failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
}
