// The counter's own storage in IndexedDB: the rail copy, the cart, the outbox of sales
// not yet recorded by the server and the receipts the device has not printed yet. Everything here outlives a reload, a closed tab, a
// restart and a sign-out (the outbox is sent by whoever uses the counter next).

const NAME = "shop-counter";
const VERSION = 2;
let opened = null;

export function openStore() {
  if (!opened) {
    opened = new Promise((resolve, reject) => {
      const request = indexedDB.open(NAME, VERSION);
      request.onupgradeneeded = (event) => {
        const db = request.result;
        if (event.oldVersion < 1) {
          db.createObjectStore("items", { keyPath: "code" });
          db.createObjectStore("kv");
          db.createObjectStore("outbox", { keyPath: "client_id" });
        }
        if (event.oldVersion < 2) { db.createObjectStore("receipts", { keyPath: "key" }); }
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  return opened;
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

function result(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export async function getAll(storeName) {
  const db = await openStore();
  return result(db.transaction(storeName).objectStore(storeName).getAll());
}

export async function get(storeName, key) {
  const db = await openStore();
  return result(db.transaction(storeName).objectStore(storeName).get(key));
}

export async function put(storeName, value, key) {
  const db = await openStore();
  const tx = db.transaction(storeName, "readwrite");
  if (key === undefined) { tx.objectStore(storeName).put(value); } else { tx.objectStore(storeName).put(value, key); }
  return done(tx);
}

export async function remove(storeName, key) {
  const db = await openStore();
  const tx = db.transaction(storeName, "readwrite");
  tx.objectStore(storeName).delete(key);
  return done(tx);
}

// A rail answer: a full copy replaces the items, a delta puts and removes; one transaction.
export async function applyRail(answer) {
  const db = await openStore();
  const tx = db.transaction(["items", "kv"], "readwrite");
  const items = tx.objectStore("items");
  if (answer.full) { items.clear(); }
  for (const item of answer.items) { items.put(item); }
  for (const code of answer.gone) { items.delete(code); }
  tx.objectStore("kv").put(
    { cursor: answer.cursor, today: answer.today, policy: answer.policy, dayOffset: answer.dayOffset || 0 },
    "rail");
  return done(tx);
}

export async function count(storeName) {
  const db = await openStore();
  return result(db.transaction(storeName).objectStore(storeName).count());
}
