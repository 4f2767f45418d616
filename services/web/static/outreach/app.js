// The outreach app: screens for a visit, on a phone, with or without signal.
// Nothing here is kept readable: visits live in the sealed outbox (outbox.js), the key only
// wrapped under her shift PIN (keys.js).
import * as store from "./store.js";
import { MIN_PIN, newKey, openKey, seal, unseal } from "./keys.js";
import { Outbox, newDoc } from "./outbox.js";

const $ = (id) => document.getElementById(id);
const root = $("outreach");
const PHONE = root.dataset.safeguardingPhone || "";
// The services' own patterns, given by the page, so a visit she can never send is caught here.
const TEAM_ID = new RegExp(root.dataset.teamPattern);
const STAFF_ID = new RegExp(root.dataset.staffIdPattern);
const SOURCES = [["observed", "Observed"], ["disclosed", "Disclosed"], ["third_party", "Third party"]];
const TAG = {
  draft: ["In progress", "govuk-tag--grey"],
  waiting: ["Waiting to send", "govuk-tag--yellow"],
  sending: ["Sending", "govuk-tag--blue"],
  sent: ["Sent", "govuk-tag--green"],
  refused: ["Not accepted: correct it", "govuk-tag--red"],
};

let outbox = null;
let ref = { languages: [], materials: {}, person_indicators: {}, concerns: {}, follow_up_kinds: {}, visit_outcomes: {} };
let premises = [];
let me = { subject: "", team: "" };
let current = null; // the visit on screen: a doc of outbox.js
let contactId = null; // the woman being recorded
let detailsOpen = false;
const DETAILS = ["premises", "premises_id", "premises_label", "team", "volunteers", "languages_offered", "started_at"];

const names = (() => {
  try {
    return new Intl.DisplayNames(["en-GB"], { type: "language" });
  } catch (e) {
    return { of: (tag) => tag };
  }
})();
const languageName = (tag) => {
  try {
    return names.of(tag) || tag;
  } catch (e) {
    return tag;
  }
};
const label = (entry) => (entry && typeof entry === "object" ? entry.label : entry);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children.flat()) if (child) node.append(child);
  return node;
}

function show(name) {
  document.querySelectorAll(".waymark-screen").forEach((s) => (s.hidden = s.id !== `screen-${name}`));
  const heading = document.querySelector(`#screen-${name} h1`);
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
  window.scrollTo(0, 0);
}

// --- errors beside the fields (GOV.UK pattern) ----------------------------------------------
function fieldError(name, sentence) {
  const message = $(`${name}-error`);
  const group = $(`${name}-group`);
  if (!message) return false;
  message.hidden = !sentence;
  message.textContent = sentence ? `Error: ${sentence}` : "";
  if (group) group.classList.toggle("govuk-form-group--error", Boolean(sentence));
  return true;
}

function summary(container, message, fields) {
  container.replaceChildren();
  if (!message && !Object.keys(fields || {}).length) return;
  const items = Object.entries(fields || {}).map(([name, sentence]) =>
    el("li", {}, el("a", { href: `#${name}-group`, text: sentence })),
  );
  const box = el(
    "div",
    { class: "govuk-error-summary", tabindex: "-1", role: "alert" },
    el("h2", { class: "govuk-error-summary__title", text: "There is a problem" }),
    el(
      "div",
      { class: "govuk-error-summary__body" },
      message ? el("p", { class: "govuk-body", text: message }) : null,
      items.length ? el("ul", { class: "govuk-list govuk-error-summary__list" }, items) : null,
    ),
  );
  container.append(box);
  box.focus();
}

// --- the network, the session, reference data ----------------------------------------------
function showNetwork() {
  $("network").textContent = navigator.onLine
    ? "Online: visits are sent as you go."
    : "No signal: visits are kept on this phone, locked, and sent when there is signal.";
}

async function loadSession() {
  if (!outbox) return;
  try {
    const session = await outbox.session();
    me = { subject: session.subject, team: session.team || "" };
    await store.put("meta", { name: "profile", sealed: await seal(outbox.key, me) });
    $("outreach-sign-out").querySelector("input[name=csrf_token]").value = session.csrf_token;
  } catch (e) {
    const kept = await store.get("meta", "profile");
    if (kept) me = await unseal(outbox.key, kept.sealed);
  }
}

async function loadLists() {
  try {
    const response = await fetch("/outreach/api/reference", { credentials: "same-origin" });
    if (response.ok) ref = await response.json();
  } catch (e) {
    // Offline with nothing cached yet: the lists stay empty and say so.
  }
  try {
    const response = await fetch("/outreach/api/premises", { credentials: "same-origin" });
    if (response.ok) premises = (await response.json()).items;
  } catch (e) {
    premises = [];
  }
}

// --- the PIN --------------------------------------------------------------------------------
async function showLock() {
  const stored = await store.get("meta", "key");
  $("pin-new").hidden = Boolean(stored);
  $("pin-enter").hidden = !stored;
  $("lock-title").textContent = stored ? "Open the outreach app" : "Start your shift";
  const waiting = (await Outbox.records()).filter((r) => r.state !== "sent").length;
  $("pin-enter-text").textContent = waiting
    ? `Enter your shift PIN. ${waiting} ${waiting === 1 ? "visit is" : "visits are"} on this phone.`
    : "Enter your shift PIN to open the visits on this phone.";
  show("lock");
  renderSignIn();
}

$("pin-new").addEventListener("submit", async (event) => {
  event.preventDefault();
  const pin = $("pin-choose").value;
  let problem = "";
  if (!/^\d+$/.test(pin) || pin.length < MIN_PIN) problem = `Enter at least ${MIN_PIN} digits.`;
  else if (pin !== $("pin-again").value) problem = "The two PINs are not the same.";
  fieldError("pin-choose", problem);
  if (problem) return $("pin-choose").focus();
  const { key, stored } = await newKey(pin);
  await store.put("meta", { name: "key", ...stored });
  $("pin-choose").value = $("pin-again").value = "";
  await unlocked(key);
});

$("pin-enter").addEventListener("submit", async (event) => {
  event.preventDefault();
  const stored = await store.get("meta", "key");
  try {
    const key = await openKey($("pin").value, stored);
    fieldError("pin", "");
    $("pin").value = "";
    await unlocked(key);
  } catch (e) {
    fieldError("pin", "That PIN is not the one set for this shift.");
    $("pin").focus();
  }
});

async function unlocked(key) {
  outbox = new Outbox(key, () => renderHome());
  await loadLists();
  await loadSession();
  await renderHome();
  show("home");
  outbox.kick(true);
}

// --- home: the outbox -----------------------------------------------------------------------
function renderSignIn() {
  Outbox.records()
    .then((records) => {
      const unsent = records.filter((r) => r.state !== "sent").length;
      const needed = outbox ? outbox.signedOut : false;
      $("signin-banner").hidden = !(needed && unsent);
      $("signin-text").textContent = `Sign in again to send ${unsent} ${unsent === 1 ? "visit" : "visits"}.`;
    })
    .catch(() => {});
}

// The outbox changes many times a second while it sends: draw at most once per frame.
let rendering = Promise.resolve();
let queued = false;
function renderHome() {
  if (queued) return rendering;
  queued = true;
  rendering = rendering
    .then(() => new Promise((done) => requestAnimationFrame(done)))
    .then(() => {
      queued = false;
      return drawHome();
    })
    .catch(() => {});
  return rendering;
}

async function drawHome() {
  renderSignIn();
  if (!outbox) return;
  const records = await Outbox.records();
  const items = [];
  for (const record of records) {
    const [words, colour] = TAG[record.state] || TAG.waiting;
    let place = "A visit";
    if (record.sealed) {
      const { body } = await unseal(outbox.key, record.sealed);
      place = body.premises_label || (premises.find((p) => p.premises_id === body.premises_id) || {}).label || "A visit";
    }
    const when = new Date(record.created).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
    const women = `${record.contacts} ${record.contacts === 1 ? "woman" : "women"}`;
    items.push(
      el(
        "li",
        { class: "waymark-outbox__item", "data-visit": record.visit_id, "data-state": record.state },
        el("strong", { class: `govuk-tag ${colour}`, text: words }),
        el("p", { class: "govuk-body govuk-!-margin-bottom-1", id: `visit-${record.visit_id}`, text: `${place}, ${when}, ${women}` }),
        record.urgent && record.state !== "sent"
          ? el("p", { class: "govuk-body waymark-outreach__warning", text: `Urgent concern not sent yet: phone the safeguarding lead on ${PHONE}.` })
          : null,
        record.reason ? el("p", { class: "govuk-error-message", text: record.reason }) : null,
        record.sealed
          ? el("button", {
              class: "govuk-button govuk-button--secondary govuk-!-margin-bottom-0",
              type: "button",
              text: record.state === "refused" ? "Correct it" : record.state === "draft" ? "Continue" : "Open",
              "aria-describedby": `visit-${record.visit_id}`,
              onclick: () => openVisit(record.visit_id),
            })
          : null,
      ),
    );
  }
  $("outbox").replaceChildren(...items);
  $("outbox-empty").hidden = items.length > 0;
}

$("start-visit").addEventListener("click", () => {
  current = newDoc({
    visit_id: crypto.randomUUID(),
    premises_id: null,
    premises_label: null,
    team: me.team || "",
    volunteers: me.subject ? [me.subject] : [],
    languages_offered: [],
    started_at: new Date().toISOString(),
    contacts: [],
    urgent_concerns: [],
  });
  detailsOpen = true;
  drawVisit();
  show("visit");
});

$("send-now").addEventListener("click", () => outbox && outbox.kick(true));

async function openVisit(visitId) {
  const opened = await outbox.open(visitId);
  if (!opened) return;
  current = opened.doc;
  const visitErrors = Object.keys((current.errors && current.errors.visit) || {});
  detailsOpen = !current.sync.created && visitErrors.some((name) => DETAILS.includes(name));
  drawVisit();
  show("visit");
}

// --- the visit ------------------------------------------------------------------------------
// A part already sent, or in a post not yet answered, can no longer be changed here.
const locked = (list, id) => {
  const key = list === "contacts" ? "contact_id" : "concern_id";
  const pending = current.pending ? current.pending.body[list === "contacts" ? "contacts" : "urgent_concerns"] : [];
  return current.sync[list].includes(id) || pending.some((x) => x[key] === id);
};

function premisesLabel(body) {
  if (body.premises_label) return body.premises_label;
  const found = premises.find((p) => p.premises_id === body.premises_id);
  return found ? found.label : "";
}

function choosePremises(id, text) {
  current.body.premises_id = id;
  current.body.premises_label = id ? null : text;
  $("premises-chosen").textContent = `Chosen: ${text}${id ? "" : " (a new place)"}`;
  $("premises-results").replaceChildren();
  $("premises-search").value = "";
  fieldError("premises", "");
}

function searchPremises() {
  const typed = $("premises-search").value.trim();
  const results = $("premises-results");
  if (!typed) return results.replaceChildren();
  const lower = typed.toLowerCase();
  const found = premises.filter((p) => p.label.toLowerCase().includes(lower)).slice(0, 8);
  const buttons = found.map((p) =>
    el("li", {}, el("button", { type: "button", class: "waymark-choice", text: p.label, onclick: () => choosePremises(p.premises_id, p.label) })),
  );
  if (!found.some((p) => p.label.toLowerCase() === lower)) {
    buttons.push(
      el("li", {}, el("button", { type: "button", class: "waymark-choice", text: `Add “${typed}” as a new place`, onclick: () => choosePremises(null, typed) })),
    );
  }
  results.replaceChildren(...buttons);
}
$("premises-search").addEventListener("input", searchPremises);

function checkboxes(container, name, options, chosen) {
  container.replaceChildren(
    ...options.map(([value, text], index) => {
      const id = `${name}-${index}`;
      return el(
        "div",
        { class: "govuk-checkboxes__item" },
        el("input", { class: "govuk-checkboxes__input", id, type: "checkbox", name, value, checked: chosen.includes(value) }),
        el("label", { class: "govuk-label govuk-checkboxes__label", for: id, text }),
      );
    }),
  );
}
const checked = (container) => [...container.querySelectorAll("input:checked")].map((i) => i.value);
const languageOptions = () => ref.languages.map((tag) => [tag, languageName(tag)]);

function drawVisit() {
  const body = current.body;
  const errors = current.errors || { visit: {}, contacts: {}, concerns: {} };
  $("visit-details").hidden = !detailsOpen;
  $("visit-main").hidden = detailsOpen;
  const placed = premisesLabel(body);
  $("premises-chosen").textContent = placed ? `Chosen: ${placed}` : "";
  $("team").value = body.team;
  $("volunteers").value = body.volunteers.join(", ");
  checkboxes($("languages-offered"), "languages_offered", languageOptions(), body.languages_offered);
  for (const name of ["premises", "team", "volunteers", "languages_offered"]) {
    fieldError(name, (errors.visit || {})[name] || (name === "premises" ? (errors.visit || {}).premises_id || (errors.visit || {}).premises_label : ""));
  }
  const womenErrors = Object.keys(errors.contacts || {}).length || Object.keys(errors.concerns || {}).length;
  summary(
    $("visit-errors"),
    current.errors ? current.errors.message : "",
    womenErrors ? {} : errors.visit || {},
  );
  $("visit-summary").textContent = `${placed || "Premises not chosen"} · team ${body.team || "not given"} · ${body.volunteers.length} volunteers`;
  $("women").replaceChildren(
    ...body.contacts.map((contact) => {
      const sent = locked("contacts", contact.contact_id);
      const problem = (errors.contacts || {})[contact.contact_id];
      return el(
        "li",
        { class: "waymark-women__item" },
        el("p", { class: "govuk-body govuk-!-font-weight-bold govuk-!-margin-bottom-1", text: contact.alias }),
        el("p", {
          class: "govuk-body-s govuk-!-margin-bottom-1",
          text: `${languageName(contact.language)}, ${contact.indicators.length} indicators${contact.follow_up ? ", follow-up offered" : ""}`,
        }),
        problem ? el("p", { class: "govuk-error-message", text: `Check her details: ${Object.values(problem)[0]}` }) : null,
        sent
          ? el("strong", { class: "govuk-tag govuk-tag--green", text: current.sync.contacts.includes(contact.contact_id) ? "Saved" : "Sending" })
          : el("button", {
              type: "button",
              class: "govuk-button govuk-button--secondary govuk-!-margin-bottom-0",
              text: "Change",
              "aria-label": `Change the details of woman ${body.contacts.indexOf(contact) + 1}`,
              onclick: () => editContact(contact.contact_id),
            }),
      );
    }),
  );
  $("urgent-list").replaceChildren(
    ...body.urgent_concerns.map((concern) => {
      const problem = (errors.concerns || {})[concern.concern_id];
      return el(
        "div",
        {},
        el(
          "p",
          { class: "govuk-body waymark-outreach__warning" },
          `Urgent concern: ${label((ref.concerns || {})[concern.concern]) || concern.concern.replaceAll("_", " ")}. `,
          current.sync.concerns.includes(concern.concern_id)
            ? "Sent to the safeguarding lead."
            : `Not sent yet: phone the safeguarding lead on ${PHONE}.`,
        ),
        problem ? el("p", { class: "govuk-error-message", text: `Not accepted: ${Object.values(problem)[0]}` }) : null,
        problem && !locked("concerns", concern.concern_id)
          ? el("button", { type: "button", class: "govuk-button govuk-button--secondary", text: "Change the urgent concern", onclick: () => openUrgent(concern) })
          : null,
      );
    }),
  );
  const outcomes = Object.entries(ref.visit_outcomes || {});
  $("outcomes").replaceChildren(
    ...outcomes.map(([code, text], index) =>
      el(
        "div",
        { class: "govuk-radios__item" },
        el("input", { class: "govuk-radios__input", id: `outcome-${index}`, type: "radio", name: "outcome", value: code, checked: body.outcome === code }),
        el("label", { class: "govuk-label govuk-radios__label", for: `outcome-${index}`, text: label(text) }),
      ),
    ),
  );
  const ending = errors.visit && (errors.visit.outcome || errors.visit.completed_at);
  fieldError("outcome", ending || "");
  $("complete-form").hidden = Boolean(body.completed_at) && !ending;
  $("add-woman").hidden = Boolean(body.completed_at) && current.sync.completed;
}

function detailsFromForm() {
  const body = current.body;
  body.team = $("team").value.trim();
  body.volunteers = $("volunteers").value.split(",").map((v) => v.trim()).filter(Boolean);
  body.languages_offered = checked($("languages-offered"));
  const errors = {};
  if (!body.premises_id && !body.premises_label) errors.premises = "Choose the premises, or add a new one.";
  if (!body.team) errors.team = "Enter the team.";
  else if (!TEAM_ID.test(body.team)) errors.team = "Enter the team's id: letters, numbers and . _ : @ - only, with no spaces.";
  if (!body.volunteers.length) errors.volunteers = "Enter at least one volunteer.";
  else if (!body.volunteers.every((v) => STAFF_ID.test(v))) {
    errors.volunteers = "Enter each volunteer's staff id, not a name: letters, numbers and . _ : @ | - only, with no spaces.";
  }
  return errors;
}

$("visit-details").addEventListener("submit", async (event) => {
  event.preventDefault();
  const errors = detailsFromForm();
  for (const name of ["premises", "team", "volunteers"]) fieldError(name, errors[name] || "");
  if (Object.keys(errors).length) return summary($("visit-errors"), "", errors);
  if (current.errors) current.errors.visit = {};
  clearSettledErrors();
  current = await outbox.keep(current);
  detailsOpen = false;
  drawVisit();
  show("visit");
  outbox.kick(true);
});

function clearSettledErrors() {
  const e = current.errors;
  if (e && !Object.keys(e.visit || {}).length && !Object.keys(e.contacts || {}).length && !Object.keys(e.concerns || {}).length) {
    current.errors = null;
  }
}

$("add-woman").addEventListener("click", () => editContact(null));

$("complete-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const outcome = document.querySelector("input[name=outcome]:checked");
  current.body.completed_at = new Date().toISOString();
  current.body.outcome = outcome ? outcome.value : null;
  if (current.errors) current.errors.visit = {};
  clearSettledErrors();
  current = await outbox.keep(current);
  await renderHome();
  show("home");
  outbox.kick(true);
  registerSync();
});

// --- a woman she met ------------------------------------------------------------------------
function editContact(id) {
  contactId = id;
  const contact = current.body.contacts.find((c) => c.contact_id === id) || {
    alias: "", language: "", other_languages: [], bridging_volunteer: null, materials: [], indicators: [], follow_up: null,
  };
  $("alias").value = contact.alias;
  $("language").replaceChildren(
    el("option", { value: "", text: "Choose a language" }),
    ...languageOptions().map(([tag, name]) => el("option", { value: tag, text: name, selected: contact.language === tag })),
  );
  checkboxes($("other-languages"), "other_languages", languageOptions(), contact.other_languages);
  $("bridging").replaceChildren(
    el("option", { value: "", text: "Nobody: we shared a language" }),
    ...current.body.volunteers.map((v) => el("option", { value: v, text: v, selected: contact.bridging_volunteer === v })),
  );
  checkboxes($("materials"), "materials", Object.entries(ref.materials || {}).map(([c, t]) => [c, label(t)]), contact.materials);
  const errors = ((current.errors || {}).contacts || {})[id] || {};
  $("indicators").replaceChildren(
    ...Object.entries(ref.person_indicators || {}).map(([code, entry], index) => {
      const noted = contact.indicators.find((i) => i.indicator === code);
      const position = contact.indicators.indexOf(noted);
      const problem = noted ? errors[`indicators.${position}.indicator`] || errors[`indicators.${position}.source`] : "";
      return indicatorRow(`ind-${index}`, code, label(entry), noted ? noted.source : "", problem);
    }),
    // A code she chose that the reference data no longer has: shown, so she can change it.
    ...contact.indicators
      .filter((i) => !(i.indicator in (ref.person_indicators || {})))
      .map((i) => indicatorRow(`ind-gone-${contact.indicators.indexOf(i)}`, i.indicator, `${i.indicator.replaceAll("_", " ")} (no longer in the list)`, i.source,
        errors[`indicators.${contact.indicators.indexOf(i)}.indicator`] || "This is no longer in the list: choose “not noted”.")),
  );
  $("follow-up-kind").replaceChildren(
    el("option", { value: "", text: "None" }),
    ...Object.entries(ref.follow_up_kinds || {}).map(([c, t]) => el("option", { value: c, text: label(t), selected: contact.follow_up && contact.follow_up.kind === c })),
  );
  $("follow-up-due").value = contact.follow_up ? localInput(contact.follow_up.due_at) : "";
  for (const name of ["alias", "language", "bridging_volunteer", "materials", "follow_up", "indicators"]) {
    fieldError(name, errors[name] || Object.entries(errors).find(([k]) => k.startsWith(`${name}.`))?.[1] || "");
  }
  summary($("contact-errors"), Object.keys(errors).length ? "Her details need correcting. Each answer to change is marked." : "", {});
  show("contact");
}

function indicatorRow(id, code, text, source, problem) {
  return el(
    "div",
    { class: `govuk-form-group waymark-indicator${problem ? " govuk-form-group--error" : ""}` },
    el("label", { class: "govuk-label", for: id, text }),
    problem ? el("p", { class: "govuk-error-message", id: `${id}-error`, text: `Error: ${problem}` }) : null,
    el(
      "select",
      { class: "govuk-select waymark-indicator__source", id, "data-indicator": code, "aria-describedby": problem ? `${id}-error` : null },
      el("option", { value: "", text: "Not noted" }),
      ...SOURCES.map(([value, words]) => el("option", { value, text: words, selected: source === value })),
    ),
  );
}

function localInput(iso) {
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

$("contact-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const existing = current.body.contacts.find((c) => c.contact_id === contactId);
  const now = new Date().toISOString();
  const indicators = [...document.querySelectorAll(".waymark-indicator__source")]
    .filter((s) => s.value)
    .map((s) => {
      const before = existing && existing.indicators.find((i) => i.indicator === s.dataset.indicator);
      return {
        observation_id: before ? before.observation_id : crypto.randomUUID(),
        indicator: s.dataset.indicator,
        source: s.value,
      };
    });
  const kind = $("follow-up-kind").value;
  const due = $("follow-up-due").value;
  const contact = {
    contact_id: contactId || crypto.randomUUID(),
    alias: $("alias").value.trim(),
    language: $("language").value,
    other_languages: checked($("other-languages")),
    bridging_volunteer: $("bridging").value || null,
    materials: checked($("materials")),
    indicators,
    follow_up: kind
      ? {
          follow_up_id: existing && existing.follow_up ? existing.follow_up.follow_up_id : crypto.randomUUID(),
          kind,
          due_at: due ? new Date(due).toISOString() : new Date(Date.now() + 7 * 864e5).toISOString(),
        }
      : null,
    occurred_at: existing ? existing.occurred_at : now,
  };
  const errors = {};
  if (!contact.alias) errors.alias = "Enter the name she gave, or a word to know her by.";
  if (!contact.language) errors.language = "Choose the language you spoke with her.";
  for (const name of ["alias", "language"]) fieldError(name, errors[name] || "");
  if (Object.keys(errors).length) return summary($("contact-errors"), "", errors);
  if (existing) current.body.contacts[current.body.contacts.indexOf(existing)] = contact;
  else current.body.contacts.push(contact);
  if (current.errors && current.errors.contacts) delete current.errors.contacts[contact.contact_id];
  clearSettledErrors();
  current = await outbox.keep(current);
  drawVisit();
  show("visit");
  outbox.kick(true);
  registerSync();
});

// --- an urgent concern ----------------------------------------------------------------------
let concernId = null; // the concern being changed after a refusal, else a new one
$("raise-urgent").addEventListener("click", () => openUrgent(null));

function openUrgent(existing) {
  concernId = existing ? existing.concern_id : null;
  $("urgent-result").replaceChildren();
  $("urgent-form").hidden = false;
  $("concerns").replaceChildren(
    ...Object.entries(ref.concerns || {}).map(([code, text], index) =>
      el(
        "div",
        { class: "govuk-radios__item" },
        el("input", { class: "govuk-radios__input", id: `concern-${index}`, type: "radio", name: "concern", value: code }),
        el("label", { class: "govuk-label govuk-radios__label", for: `concern-${index}`, text: label(text) }),
      ),
    ),
  );
  $("concern-about").replaceChildren(
    el("option", { value: "", text: "Not about one woman" }),
    ...current.body.contacts.map((c) => el("option", { value: c.contact_id, text: c.alias })),
  );
  $("concern-details").value = existing ? existing.details || "" : "";
  if (existing) $("concern-about").value = existing.contact_id || "";
  const problem = existing ? ((current.errors || {}).concerns || {})[existing.concern_id] || {} : {};
  fieldError("concern", problem.concern || "");
  fieldError("details", problem.details || "");
  show("urgent");
}

$("urgent-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const chosen = document.querySelector("input[name=concern]:checked");
  if (!chosen) {
    fieldError("concern", "Choose what the concern is.");
    return summary($("urgent-result"), "", { concern: "Choose what the concern is." });
  }
  const concern = {
    concern_id: concernId || crypto.randomUUID(),
    concern: chosen.value,
    contact_id: $("concern-about").value || null,
    details: $("concern-details").value.trim() || null,
    occurred_at: new Date().toISOString(),
  };
  const before = current.body.urgent_concerns.findIndex((c) => c.concern_id === concern.concern_id);
  if (before >= 0) current.body.urgent_concerns[before] = concern;
  else current.body.urgent_concerns.push(concern);
  if (current.errors && current.errors.concerns) delete current.errors.concerns[concern.concern_id];
  clearSettledErrors();
  current = await outbox.keep(current);
  $("urgent-form").hidden = true;
  registerSync();
  if (navigator.onLine) {
    urgentResult("Sending to the safeguarding lead…", false);
    await outbox.kick(true);
    const opened = await outbox.open(current.body.visit_id);
    if (opened) current = opened.doc;
    const sent = !opened || opened.doc.sync.concerns.includes(concern.concern_id);
    if (sent) return urgentResult("Sent to the safeguarding lead. She is told at once.", false);
  }
  urgentResult(
    `Not sent: there is no signal. Phone the safeguarding lead now on ${PHONE}. ` +
      "The concern is kept on this phone and sent first when there is signal.",
    true,
  );
});

function urgentResult(text, loud) {
  const phone = PHONE.replace(/[^\d+]/g, "");
  $("urgent-result").replaceChildren(
    el(
      "div",
      { class: loud ? "waymark-outreach__alarm" : "govuk-inset-text" },
      el("p", { class: "govuk-body govuk-!-font-weight-bold", text }),
      loud && phone ? el("a", { class: "govuk-button govuk-button--warning", href: `tel:${phone}`, text: `Phone ${PHONE}` }) : null,
    ),
  );
}

// --- navigation, connection, background sync ------------------------------------------------
document.querySelectorAll("[data-go]").forEach((button) =>
  button.addEventListener("click", () => {
    const target = button.dataset.go;
    if (target === "visit") drawVisit();
    if (target === "home") renderHome();
    show(target);
  }),
);

function registerSync() {
  if (navigator.onLine || !navigator.serviceWorker) return;
  navigator.serviceWorker.ready.then((registration) => registration.sync && registration.sync.register("outbox")).catch(() => {});
}

window.addEventListener("online", () => {
  showNetwork();
  if (outbox) loadSession().catch(() => {}).then(() => outbox.kick(true));
});
window.addEventListener("offline", showNetwork);
setInterval(() => outbox && outbox.kick(), 30000);

if (navigator.serviceWorker) {
  navigator.serviceWorker.register("/outreach/sw.js", { scope: "/outreach/" }).catch(() => {});
  navigator.serviceWorker.addEventListener("message", (event) => {
    if (event.data && event.data.type === "send-outbox" && outbox) outbox.kick(true);
  });
}

// Sign-out deletes what the app kept (the outbox too: she is told so beside the button);
// the form needs this session's token first, which the cached shell cannot carry.
$("outreach-sign-out").addEventListener("submit", async (event) => {
  const field = event.target.querySelector("input[name=csrf_token]");
  if (field.value) return;
  event.preventDefault();
  try {
    const response = await fetch("/outreach/api/session", { credentials: "same-origin", cache: "no-store" });
    if (response.ok) field.value = (await response.json()).csrf_token;
  } catch (e) {
    // No signal: the signed-out page still wipes the phone; the session ends on its own.
  }
  if (!field.value) return (window.location.href = "/signed-out");
  event.target.submit();
});

showNetwork();
showLock();
