// A static file server for tint's site: `node tools/serve.mjs [--port P] [--host H] [FOLDER]`
// (defaults: 8080, 127.0.0.1, build/wasm/site) [--no-isolation]. Also imported by the browser tests
// (port 0 picks a free one). GET/HEAD only, no directory listings, nothing outside FOLDER; the right
// MIME type for .wasm (browsers refuse to stream-compile without it); the headers that make the page
// cross-origin isolated (COOP same-origin + COEP require-corp: SharedArrayBuffer, so the threaded
// module), unless isolate is false (a host without them, for tests of the fallback). The page carries its own
// Content-Security-Policy (a meta tag), so that any static host keeps it to its own origin.
import { createServer } from 'node:http';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.safetensors': 'application/octet-stream',
};

/** Starts serving `root`; resolves to {server, url} once listening. */
export async function serve(root, { port = 8080, host = '127.0.0.1', isolate = true } = {}) {
  const base = path.resolve(root);
  const server = createServer(async (request, response) => {
    const send = (status, text) => {
      response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
      response.end(request.method === 'HEAD' ? undefined : text + '\n');
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') return send(405, 'method not allowed');
    let relative;
    try {
      relative = decodeURIComponent(new URL(request.url, 'http://x').pathname);
    } catch {
      return send(400, 'bad request');
    }
    if (relative.endsWith('/')) relative += 'index.html';
    const file = path.resolve(base, '.' + relative);
    if (file !== base && !file.startsWith(base + path.sep)) return send(404, 'not found');
    let stat;
    try {
      stat = await fs.stat(file);
    } catch {
      return send(404, 'not found');
    }
    if (!stat.isFile()) return send(404, 'not found');
    response.writeHead(200, {
      'Content-Type': types[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': stat.size,
      'Cache-Control': 'no-cache',  // the service worker keeps the offline copy
      'X-Content-Type-Options': 'nosniff',
      ...(isolate ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } : {}),
    });
    if (request.method === 'HEAD') return response.end();
    createReadStream(file).on('error', () => response.destroy()).pipe(response);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  return { server, url: `http://${address.address}:${address.port}/` };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  let port = 8080, host = '127.0.0.1', root = 'build/wasm/site', isolate = true;
  for (let i = 0; i < args.length; ++i) {
    if (args[i] === '--port') port = Number(args[++i]);
    else if (args[i] === '--host') host = args[++i];
    else if (args[i] === '--no-isolation') isolate = false;
    else root = args[i];
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error('serve: --port must be a number from 0 to 65535');
    process.exit(2);
  }
  try {
    await fs.access(path.join(root, 'index.html'));
  } catch {
    console.error(`serve: ${root}/index.html not found; build the site first (tools/run.sh)`);
    process.exit(1);
  }
  try {
    const { url } = await serve(root, { port, host, isolate });
    console.log(`tint is at ${url}  (serving ${root}${isolate ? '' : ', not cross-origin isolated'}; Ctrl+C stops)`);
  } catch (error) {
    console.error(`serve: cannot listen on ${host}:${port}: ${error.code ?? error.message}`);
    process.exit(1);
  }
}
