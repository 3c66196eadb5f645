// The open photos and their hints, kept in this browser's IndexedDB (this device only) so that a
// reload loses nothing. Records: {id, name, file (the original bytes, a Blob), hints}. Every call
// resolves, never rejects: where IndexedDB is missing or fails (private modes, quota), the page
// works as before and only forgets on reload.

const open = () => new Promise((resolve) => {
  try {
    const request = indexedDB.open('tint', 1);
    request.onupgradeneeded = () => request.result.createObjectStore('photos', { keyPath: 'id' });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => resolve(null);
    request.onblocked = () => resolve(null);
  } catch {
    resolve(null);
  }
});
let database = null;

function transact(mode, work) {
  database ??= open();
  return database.then((db) => new Promise((resolve) => {
    if (!db) return resolve(undefined);
    try {
      const transaction = db.transaction('photos', mode);
      const request = work(transaction.objectStore('photos'));
      transaction.oncomplete = () => resolve(request?.result);
      transaction.onerror = transaction.onabort = () => resolve(undefined);
    } catch {
      resolve(undefined);
    }
  }));
}

export const store = {
  /** Every kept photo, oldest first. */
  all: async () => ((await transact('readonly', (photos) => photos.getAll())) ?? []).sort((a, b) => a.id - b.id),
  put: (record) => transact('readwrite', (photos) => photos.put(record)),
  /** Changes a kept photo's hints (nothing if it is not kept). */
  setHints: (id, hints) => transact('readwrite', (photos) => {
    const request = photos.get(id);
    request.onsuccess = () => request.result && photos.put({ ...request.result, hints });
  }),
  remove: (id) => transact('readwrite', (photos) => photos.delete(id)),
  clear: () => transact('readwrite', (photos) => photos.clear()),
  count: () => transact('readonly', (photos) => photos.count()),
};
