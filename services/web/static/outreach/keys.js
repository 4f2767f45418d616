// The outbox key. Visits on the phone are sealed with AES-GCM under a data key that no script
// can read (non-extractable). The key is kept on the phone only wrapped by a key derived from
// her shift PIN (PBKDF2, SHA-256, many iterations; the derived key non-extractable too), so
// after a restart, offline, her PIN opens it again, and nothing readable is ever stored.
const encoder = new TextEncoder();
const decoder = new TextDecoder();
export const ITERATIONS = 600000;
export const MIN_PIN = 6;

async function keyFromPin(pin, salt, iterations) {
  const material = await crypto.subtle.importKey("raw", encoder.encode(pin), "PBKDF2", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "PBKDF2", salt, iterations, hash: "SHA-256" },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["wrapKey", "unwrapKey"],
  );
}

async function unwrap(wrapped, wrapping, iv) {
  return crypto.subtle.unwrapKey(
    "raw", wrapped, wrapping, { name: "AES-GCM", iv }, { name: "AES-GCM" }, false, ["encrypt", "decrypt"],
  );
}

// A new data key for a shift: {key, stored}; only `stored` (salt, iv, wrapped key) is kept.
export async function newKey(pin) {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const wrapping = await keyFromPin(pin, salt, ITERATIONS);
  // Extractable only for the moment it takes to wrap it; the key used is the unwrapped copy.
  const fresh = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt", "decrypt"]);
  const wrapped = await crypto.subtle.wrapKey("raw", fresh, wrapping, { name: "AES-GCM", iv });
  const key = await unwrap(wrapped, wrapping, iv);
  return { key, stored: { salt, iv, wrapped, iterations: ITERATIONS } };
}

// The data key again from her PIN; a wrong PIN fails AES-GCM's check and throws.
export async function openKey(pin, stored) {
  const wrapping = await keyFromPin(pin, stored.salt, stored.iterations);
  return unwrap(stored.wrapped, wrapping, stored.iv);
}

export async function seal(key, value) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, encoder.encode(JSON.stringify(value)));
  return { iv, data };
}

export async function unseal(key, sealed) {
  const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: sealed.iv }, key, sealed.data);
  return JSON.parse(decoder.decode(plain));
}
