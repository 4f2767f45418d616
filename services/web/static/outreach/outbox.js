// The outbox: every visit on this phone, sealed, and the one loop that sends it.
//
// Exactly once: each visit, contact, indicator and concern carries an id made here, and the
// first post of a visit an Idempotency-Key, both kept with the visit until the server confirms
// it; a retry after a lost answer is recognised by the server and recorded nothing new. What
// was posted is frozen (`pending`) until answered, so a retry sends the same body.
// Refusals (4xx) stay on the phone with the reason for her to correct; network errors, 5xx
// and a step that raced another writer of the visit (409 concurrent-modification) are retried
// with backoff and jitter, never sooner than the answer's Retry-After; 401 keeps everything
// until she signs in again.
import * as store from "./store.js";
import { seal, unseal } from "./keys.js";

export class SignedOut extends Error {}
class Retry extends Error {
  constructor(response) {
    super("retry");
    this.afterMs = retryAfterMs(response);
  }
}
class Refusal extends Error {
  constructor(problem, where) {
    super(problem.message || "refused");
    this.problem = problem;
    this.where = where;
  }
}

const BASE_MS = 2000;
const CAP_MS = 5 * 60 * 1000;
const SENT_KEPT_MS = 12 * 60 * 60 * 1000;
const SENDERS = 3;

// "Equal jitter": at least half the exponential delay, so phones that lost signal together
// do not all come back at the same moment.
export function backoff(attempts) {
  const ceiling = Math.min(CAP_MS, BASE_MS * 2 ** Math.min(attempts, 16));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

// The wait a server asked for (Retry-After in seconds: the web app sends no date), capped like
// the backoff; 0 when it asked for none.
export function retryAfterMs(response) {
  const seconds = (response && response.headers.get("Retry-After")) || "";
  return /^[0-9]+$/.test(seconds) ? Math.min(CAP_MS, Number(seconds) * 1000) : 0;
}

// The backoff, or the server's wait when that is longer, spread the same way.
export function retryDelay(attempts, afterMs = 0) {
  return Math.max(backoff(attempts), afterMs + Math.random() * (afterMs / 2));
}

export function newDoc(body) {
  return {
    body,
    sync: { created: false, contacts: [], concerns: [], completed: false },
    pending: null,
    errors: null,
  };
}

function unsentConcern(doc) {
  return doc.body.urgent_concerns.some((c) => !doc.sync.concerns.includes(c.concern_id));
}

function finished(doc) {
  return (
    doc.sync.created &&
    doc.body.completed_at &&
    doc.sync.completed &&
    doc.body.contacts.every((c) => doc.sync.contacts.includes(c.contact_id)) &&
    !unsentConcern(doc)
  );
}

function withoutNulls(value) {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value && typeof value === "object") {
    const out = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== null && v !== undefined && v !== "") out[k] = withoutNulls(v);
    }
    return out;
  }
  return value;
}

// A refusal's field paths, turned into where she corrects them: the visit, a woman, a concern.
function placeErrors(problem, where, body) {
  const errors = { message: problem.message || "That could not be sent.", visit: {}, contacts: {}, concerns: {} };
  const fields = problem.fields || {};
  for (const [path, sentence] of Object.entries(fields)) {
    const parts = path.split(".");
    if (where.kind === "contact") {
      (errors.contacts[where.id] ||= {})[parts.join(".")] = sentence;
    } else if (where.kind === "concern") {
      (errors.concerns[where.id] ||= {})[parts.join(".")] = sentence;
    } else if (parts[0] === "contacts" && /^\d+$/.test(parts[1] || "") && body.contacts[+parts[1]]) {
      (errors.contacts[body.contacts[+parts[1]].contact_id] ||= {})[parts.slice(2).join(".") || "form"] = sentence;
    } else if (parts[0] === "urgent_concerns" && body.urgent_concerns[+parts[1]]) {
      (errors.concerns[body.urgent_concerns[+parts[1]].concern_id] ||= {})[parts.slice(2).join(".") || "form"] = sentence;
    } else {
      errors.visit[parts[0] || "form"] = sentence;
    }
  }
  if (where.kind === "contact" && !Object.keys(fields).length) errors.contacts[where.id] = { form: errors.message };
  if (where.kind === "concern" && !Object.keys(fields).length) errors.concerns[where.id] = { form: errors.message };
  return errors;
}

export class Outbox {
  constructor(key, onChange) {
    this.key = key;
    this.onChange = onChange || (() => {});
    this.csrf = null;
    this.signedOut = false;
    this.running = null;
    this.timer = null;
    this.lock = Promise.resolve();
  }

  // --- records ---------------------------------------------------------------------------
  static async records() {
    const now = Date.now();
    const records = await store.all("visits");
    for (const r of records.filter((r) => r.state === "sent" && now - r.sent_at > SENT_KEPT_MS)) {
      await store.remove("visits", r.visit_id);
    }
    return records
      .filter((r) => !(r.state === "sent" && now - r.sent_at > SENT_KEPT_MS))
      .sort((a, b) => Number(b.urgent) - Number(a.urgent) || a.created - b.created);
  }

  async open(visitId) {
    const record = await store.get("visits", visitId);
    if (!record || !record.sealed) return null;
    return { record, doc: await unseal(this.key, record.sealed) };
  }

  // Every change to a visit is read, changed and written under one lock, so the sender's
  // progress and her edits never overwrite each other.
  update(visitId, change) {
    const next = this.lock.then(async () => {
      const opened = await this.open(visitId);
      if (!opened) return null;
      const { record, doc } = opened;
      change(doc, record);
      await this.write(record, doc);
      return { record, doc };
    });
    this.lock = next.catch(() => {});
    return next;
  }

  async write(record, doc) {
    record.complete = Boolean(doc.body.completed_at);
    record.urgent = unsentConcern(doc);
    record.contacts = doc.body.contacts.length;
    record.sealed = await seal(this.key, doc);
    await store.put("visits", record);
    this.onChange();
  }

  // Her change (a new visit, or a correction): ready to be sent again at once.
  keep(doc) {
    const next = this.lock.then(async () => {
      const current = await this.open(doc.body.visit_id);
      const kept = current ? current.doc : newDoc(doc.body);
      kept.body = doc.body;
      kept.errors = doc.errors;
      const record = {
        ...(current ? current.record : { visit_id: doc.body.visit_id, created: Date.now() }),
        attempts: 0,
        next_at: 0,
        reason: null,
        state: doc.body.completed_at ? "waiting" : "draft",
      };
      await this.write(record, kept);
      return kept;
    });
    this.lock = next.catch(() => {});
    return next;
  }

  // --- talking to the web app --------------------------------------------------------------
  async session() {
    const response = await fetch("/outreach/api/session", { credentials: "same-origin", cache: "no-store" });
    if (response.status === 401) {
      this.signedOut = true;
      throw new SignedOut();
    }
    if (!response.ok) throw new Retry(response);
    const me = await response.json();
    this.csrf = me.csrf_token;
    this.signedOut = false;
    return me;
  }

  async post(path, body, headers = {}) {
    if (!this.csrf) await this.session();
    const send = () =>
      fetch(path, {
        method: "POST",
        credentials: "same-origin",
        cache: "no-store",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": this.csrf, ...headers },
        body: JSON.stringify(withoutNulls(body)),
      });
    let response = await send();
    if (response.status === 403) {
      const problem = await response.clone().json().catch(() => ({}));
      if (String(problem.type || "").endsWith(":csrf")) {
        // She signed in again since the token was read: the new session has a new one.
        await this.session();
        response = await send();
      }
    }
    return response;
  }

  async answer(response, where) {
    if (response.ok) return response.json();
    if (response.status === 401) {
      this.signedOut = true;
      this.csrf = null;
      throw new SignedOut();
    }
    if (response.status >= 500 || response.status === 408 || response.status === 429) throw new Retry(response);
    const problem = await response.json().catch(() => ({ message: "That could not be sent." }));
    // Someone else saved the visit at that moment (a lead correcting it): nothing of this was
    // recorded, and its own ids make sending it again safe. It is not hers to correct.
    if (response.status === 409 && String(problem.type || "").endsWith(":concurrent-modification")) {
      throw new Retry(response);
    }
    throw new Refusal(problem, where);
  }

  // --- sending -----------------------------------------------------------------------------
  kick(force = false) {
    if (this.running) {
      // Something changed while sending: one more pass when this one ends.
      this.again = this.again || force || true;
      return this.running;
    }
    this.running = this.drain(force)
      // Whatever was not sent stays in the outbox; only the reason's name is logged, never data.
      .catch((error) => console.warn("outbox: not sent now", error && error.name))
      .finally(() => {
      this.running = null;
      this.onChange();
      if (this.again) {
        this.again = false;
        this.kick(true);
      }
    });
    return this.running;
  }

  async drain(force) {
    if (!navigator.onLine) return;
    const work = () => this.sendAll(force);
    // One sender at a time, across tabs too.
    if (navigator.locks) await navigator.locks.request("waymark-outbox", work);
    else await work();
  }

  async sendAll(force) {
    clearTimeout(this.timer);
    const now = Date.now();
    // A wait the server asked for holds even a forced pass; the backoff's own does not.
    const due = (await Outbox.records()).filter(
      (r) =>
        ["draft", "waiting", "sending"].includes(r.state) &&
        (r.not_before || 0) <= now &&
        (force || r.next_at <= now),
    );
    // Urgent concerns first, one after another; then the rest a few at a time (each visit's
    // exactly-once rests on its own ids and key, not on the order).
    const stopped = await this.sendEach(due.filter((r) => r.urgent), 1);
    if (!stopped) await this.sendEach(due.filter((r) => !r.urgent), SENDERS);
    this.schedule().catch(() => {});
  }

  // Sends `records` with `senders` at a time; true when the network or her session stopped it.
  async sendEach(records, senders) {
    const queue = [...records];
    let stopped = false;
    const sender = async () => {
      while (!stopped && queue.length) {
        const record = queue.shift();
        try {
          await this.send(record);
        } catch (error) {
          if (error instanceof SignedOut) {
            stopped = true;
            await this.settle(record, {});
          } else if (error instanceof Refusal) {
            await this.update(record.visit_id, (doc, current) => {
              doc.errors = placeErrors(error.problem, error.where, doc.pending ? doc.pending.body : doc.body);
              doc.pending = null; // refused: nothing was recorded; her correction gets a new key
              current.reason = doc.errors.message;
              current.state = "refused";
            });
          } else {
            // No network, or the server could not answer: try again later.
            stopped = true;
            record.attempts = (record.attempts || 0) + 1;
            const afterMs = (error && error.afterMs) || 0;
            const now = Date.now();
            await this.settle(record, {
              next_at: now + retryDelay(record.attempts, afterMs),
              not_before: now + afterMs,
            });
          }
        }
      }
    };
    await Promise.all(Array.from({ length: senders }, sender));
    return stopped;
  }

  async settle(record, changes) {
    await this.update(record.visit_id, (doc, current) => {
      Object.assign(current, changes, { attempts: record.attempts || current.attempts });
      current.state = current.complete ? "waiting" : "draft";
    });
  }

  async schedule() {
    const waiting = (await Outbox.records()).filter((r) => ["draft", "waiting"].includes(r.state) && r.next_at);
    if (!waiting.length || this.signedOut) return;
    const next = Math.min(...waiting.map((r) => r.next_at));
    this.timer = setTimeout(() => this.kick(), Math.max(500, next - Date.now()));
  }

  async send(record) {
    const id = record.visit_id;
    let opened = await this.update(id, (doc, current) => {
      if (current.complete) current.state = "sending";
      if (!doc.sync.created && !doc.pending) {
        // Frozen until answered: a retry sends exactly this, with the same key.
        doc.pending = { key: crypto.randomUUID(), body: structuredClone(doc.body) };
      }
    });
    if (!opened) return;
    if (!opened.doc.sync.created) {
      const pending = opened.doc.pending;
      const response = await this.post("/outreach/api/visits", pending.body, { "Idempotency-Key": pending.key });
      await this.answer(response, { kind: "visit" });
      opened = await this.update(id, (doc) => {
        doc.sync.created = true;
        doc.sync.contacts.push(...pending.body.contacts.map((c) => c.contact_id));
        doc.sync.concerns.push(...pending.body.urgent_concerns.map((c) => c.concern_id));
        doc.sync.completed = Boolean(pending.body.completed_at);
        doc.pending = null;
        doc.errors = null;
      });
    }
    const body = opened.doc.body;
    const sent = () => opened.doc.sync;
    const metContact = (c) => !c.contact_id || sent().contacts.includes(c.contact_id);
    // Urgent first: a concern goes before the contacts it does not depend on.
    for (const concern of body.urgent_concerns.filter(metContact)) {
      opened = await this.step(opened, "urgent-concerns", concern, "concerns", concern.concern_id);
    }
    for (const contact of body.contacts) {
      opened = await this.step(opened, "contacts", contact, "contacts", contact.contact_id);
    }
    for (const concern of body.urgent_concerns) {
      opened = await this.step(opened, "urgent-concerns", concern, "concerns", concern.concern_id);
    }
    if (body.completed_at && !sent().completed) {
      const response = await this.post(`/outreach/api/visits/${id}/completion`, {
        completed_at: body.completed_at,
        outcome: body.outcome,
      });
      await this.answer(response, { kind: "visit" });
      opened = await this.update(id, (doc) => {
        doc.sync.completed = true;
      });
    }
    const done = this.lock.then(async () => {
      const last = await this.open(id);
      if (last && finished(last.doc)) {
        // Confirmed: nothing of the visit stays on the phone, only that it was sent.
        await store.put("visits", {
          visit_id: id,
          state: "sent",
          sent_at: Date.now(),
          created: last.record.created,
          contacts: last.doc.body.contacts.length,
          urgent: false,
          complete: true,
        });
        this.onChange();
      }
    });
    this.lock = done.catch(() => {});
    await done;
    await this.update(id, (doc, current) => {
      if (current.state === "sending") current.state = current.complete ? "waiting" : "draft";
    });
  }

  async step(opened, path, item, list, itemId) {
    if (opened.doc.sync[list].includes(itemId)) return opened;
    const response = await this.post(`/outreach/api/visits/${opened.doc.body.visit_id}/${path}`, item);
    await this.answer(response, { kind: list === "contacts" ? "contact" : "concern", id: itemId });
    return this.update(opened.doc.body.visit_id, (doc) => {
      if (!doc.sync[list].includes(itemId)) doc.sync[list].push(itemId);
    });
  }
}
