// tint's service worker: keeps the page, the module and the weights for offline use. Same-origin
// GET requests are answered from the cache at once and refreshed in the background (the next
// visit sees an update); nothing else passes through here. Every answer carries the two headers
// that make the page cross-origin isolated (COOP same-origin, COEP require-corp), so the threaded
// module runs even from a static host that cannot set headers (app.js reloads once to get them).
const cacheName = 'tint-5';  // renamed whenever the set of cached files changes, so the old cache is dropped
const files = ['./', 'index.html', 'style.css', 'app.js', 'worker.js', 'image-size.js', 'tint.js', 'tint-wasm.js',
  'hints.js', 'picker.js', 'color.js', 'store.js',
  'tint.wasm', 'tint-threads.wasm', 'tint-threads-relaxed.wasm', 'tint-threads-wasm.js', 'tint-threads-wasm.worker.js',
  'tint.safetensors', 'fflate.js', 'icon.svg', 'manifest.webmanifest'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(cacheName).then((cache) => cache.addAll(files)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((name) => name !== cacheName).map((name) => caches.delete(name))))
    .then(() => self.clients.claim()));
});

// The response with the isolation headers added (a new Response: fetched ones are immutable).
function isolated(response) {
  if (!response || response.status === 0 || response.type === 'opaque') return response;
  const headers = new Headers(response.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(caches.open(cacheName).then(async (cache) => isolated(await answer(cache, request, event))));
});

// From the cache at once (refreshed in the background), else from the network.
async function answer(cache, request, event) {
  const cached = await cache.match(request, { ignoreSearch: true });
  const refresh = fetch(request).then((response) => {
    if (response.ok) cache.put(request, response.clone());
    return response;
  });
  if (cached) {
    event.waitUntil(refresh.catch(() => {}));
    return cached;
  }
  return refresh;
}
