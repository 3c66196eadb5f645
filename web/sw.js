// tint's service worker: keeps the page, the module and the weights for offline use. Same-origin
// GET requests are answered from the cache at once and refreshed in the background (the next
// visit sees an update); nothing else passes through here.
const cacheName = 'tint-3';  // renamed whenever the set of cached files changes, so the old cache is dropped
const files = ['./', 'index.html', 'style.css', 'app.js', 'worker.js', 'image-size.js', 'tint.js', 'tint-wasm.js',
  'hints.js', 'picker.js', 'color.js', 'store.js',
  'tint.wasm', 'tint.safetensors', 'fflate.js', 'icon.svg', 'manifest.webmanifest'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(cacheName).then((cache) => cache.addAll(files)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((name) => name !== cacheName).map((name) => caches.delete(name))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(caches.open(cacheName).then(async (cache) => {
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
  }));
});
