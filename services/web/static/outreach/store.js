// IndexedDB: the wrapped key ("meta") and the visits on this phone ("visits"). A visit's
// content is sealed; only what the outbox needs to order and show it is kept beside it
// (ids, state, times, counts, the server's reason for a refusal, which never quotes input).
export const DB_NAME = "waymark-outreach";

let opened = null;
// Signed out: the browser clears the site's storage, or the signed-out page deletes the
// database. This page lets go at once (so the deletion is not blocked) and never re-creates it.
let gone = false;

export function db() {
  if (gone) return Promise.reject(new Error("signed out: nothing is kept"));
  if (!opened) {
    opened = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => {
        request.result.createObjectStore("meta", { keyPath: "name" });
        request.result.createObjectStore("visits", { keyPath: "visit_id" });
      };
      request.onsuccess = () => {
        const database = request.result;
        const release = () => {
          gone = true;
          database.close();
        };
        database.onversionchange = release;
        database.onclose = release;
        resolve(database);
      };
      request.onerror = () => reject(request.error);
    });
  }
  return opened;
}

async function run(storeName, mode, action) {
  const database = await db();
  return new Promise((resolve, reject) => {
    let tx;
    try {
      tx = database.transaction(storeName, mode);
    } catch (error) {
      gone = true;
      reject(error);
      return;
    }
    const result = action(tx.objectStore(storeName));
    tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
    tx.onerror = () => reject(tx.error || new Error("storage error"));
    tx.onabort = () => reject(tx.error || new Error("storage closed"));
  });
}

export const get = (store, key) => run(store, "readonly", (s) => s.get(key));
export const put = (store, value) => run(store, "readwrite", (s) => s.put(value));
export const remove = (store, key) => run(store, "readwrite", (s) => s.delete(key));
export const all = (store) => run(store, "readonly", (s) => s.getAll());
export const clear = (store) => run(store, "readwrite", (s) => s.clear());
