// The counter's own storage in IndexedDB: the rail copy, the cart, the outbox of sales
// not yet recorded by the server and the receipts the device has not printed yet. Everything here outlives a reload, a closed tab, a
// restart and a sign-out (the outbox is sent by whoever uses the counter next).
// makeStore() opens another database the same way (the stocktake keeps its scans in one).

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

// An IndexedDB database ``name`` at ``version``; ``upgrade(db, oldVersion)`` makes its
// object stores. Its functions each open one transaction, done when they resolve;
// ``durability: "strict"`` makes a write's promise wait until it is on the disk (what a
// power cut right after a scan must not lose).
export function makeStore(name, version, upgrade, { durability = "default" } = {}) {
  let opened = null;

  function open() {
    if (!opened) {
      opened = new Promise((resolve, reject) => {
        const request = indexedDB.open(name, version);
        request.onupgradeneeded = (event) => upgrade(request.result, event.oldVersion);
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    }
    return opened;
  }

  return {
    open,
    async getAll(storeName) {
      const db = await open();
      return result(db.transaction(storeName).objectStore(storeName).getAll());
    },
    async get(storeName, key) {
      const db = await open();
      return result(db.transaction(storeName).objectStore(storeName).get(key));
    },
    async put(storeName, value, key) {
      const db = await open();
      const tx = db.transaction(storeName, "readwrite", { durability });
      if (key === undefined) { tx.objectStore(storeName).put(value); } else { tx.objectStore(storeName).put(value, key); }
      return done(tx);
    },
    async remove(storeName, key) {
      const db = await open();
      const tx = db.transaction(storeName, "readwrite");
      tx.objectStore(storeName).delete(key);
      return done(tx);
    },
    async count(storeName) {
      const db = await open();
      return result(db.transaction(storeName).objectStore(storeName).count());
    },
  };
}

const counter = makeStore("shop-counter", 2, (db, oldVersion) => {
  if (oldVersion < 1) {
    db.createObjectStore("items", { keyPath: "code" });
    db.createObjectStore("kv");
    db.createObjectStore("outbox", { keyPath: "client_id" });
  }
  if (oldVersion < 2) { db.createObjectStore("receipts", { keyPath: "key" }); }
});

export const openStore = counter.open;
export const getAll = counter.getAll;
export const get = counter.get;
export const put = counter.put;
export const remove = counter.remove;
export const count = counter.count;

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
