// Carnet — offline verifier of a downloaded history (format carnet-history/2).
// The same checks as carnet/audit/verify.py (the command-line verifier), in the same order and with the
// same problem codes; tests run both on the same tampered files. Nothing here talks to any server: the
// page's Content-Security-Policy forbids every connection (connect-src 'none').
"use strict";

const { sha256, sha512 } = __noble.sha2;
const ed = __noble.ed25519;
ed.hashes.sha512 = sha512;

const FORMAT = "carnet-history/2";
const utf8 = new TextEncoder();

class Malformed extends Error {}

// ---- bytes ---------------------------------------------------------------------------------------

function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function isHex32(value) {
  return typeof value === "string" && /^[0-9a-fA-F]{64}$/.test(value);
}

function unhex(text) {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(i * 2, 2), 16);
  return out;
}

function unbase64(text) {
  if (typeof text !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw new Malformed("base64");
  }
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

function equal(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

// ---- RFC 9162 hashing and proofs (word for word §2.1.3.2 and §2.1.4.2; no 32-bit bit operations) ----

const leafHash = (text) => sha256(concat(Uint8Array.of(0), utf8.encode(text)));
const nodeHash = (left, right) => sha256(concat(Uint8Array.of(1), left, right));
const odd = (n) => n % 2 === 1;
const half = (n) => Math.floor(n / 2);

function verifyInclusion(index, size, leaf, proof, root) {
  if (!(index >= 0 && index < size)) return false;
  let fn = index, sn = size - 1, r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!odd(fn)) { while (fn !== 0 && !odd(fn)) { fn = half(fn); sn = half(sn); } }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn); sn = half(sn);
  }
  return sn === 0 && equal(r, root);
}

function isPowerOfTwo(n) {
  while (n > 1 && !odd(n)) n = half(n);
  return n === 1;
}

function verifyConsistency(oldSize, size, oldRoot, root, proof) {
  if (oldSize === size) return proof.length === 0 && equal(oldRoot, root);
  if (!(oldSize > 0 && oldSize < size) || proof.length === 0) return false;
  const path = proof.slice();
  if (isPowerOfTwo(oldSize)) path.unshift(oldRoot);
  let fn = oldSize - 1, sn = size - 1;
  while (odd(fn)) { fn = half(fn); sn = half(sn); }
  let fr = path[0], sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!odd(fn)) { while (fn !== 0 && !odd(fn)) { fn = half(fn); sn = half(sn); } }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn); sn = half(sn);
  }
  return equal(fr, oldRoot) && equal(sr, root) && sn === 0;
}

// ---- signatures ------------------------------------------------------------------------------------

const sctMessage = (leaf) => utf8.encode("carnet-log/v1 signed-entry-timestamp\n" + hex(leaf) + "\n");
const headMessage = (h) =>
  utf8.encode(`carnet-log/v1 tree-head\n${h.origin}\n${h.size}\n${hex(unhex(h.root_hash))}\n${h.timestamp}\n`);

function signatureValid(key, signatureB64, message) {
  try {
    return ed.verify(unbase64(signatureB64), message, key, { zip215: false });
  } catch (error) {
    return false;
  }
}

const headSigned = (head, key) => signatureValid(key, String(head.signature || ""), headMessage(head));
const keyId = (keyText) => hex(sha256(utf8.encode(keyText))).slice(0, 16);

// ---- the shape of a file ---------------------------------------------------------------------------

function require_(condition, message) {
  if (!condition) throw new Malformed(message);
}

const isInt = (v) => Number.isSafeInteger(v);

function checkHead(head, name) {
  require_(head && typeof head === "object" && !Array.isArray(head), `missing '${name}'`);
  require_(typeof head.origin === "string", `'${name}' has no 'origin'`);
  require_(isInt(head.size) && head.size >= 0, `'${name}' has no valid 'size'`);
  require_(isHex32(head.root_hash), `'${name}' has no valid 'root_hash'`);
  require_(isInt(head.timestamp), `'${name}' has no valid 'timestamp'`);
  require_(typeof head.signature === "string", `'${name}' has no 'signature'`);
}

function checkProof(proof, name) {
  require_(Array.isArray(proof) && proof.every(isHex32), `${name} is not a list of hashes`);
}

function checkShape(doc) {
  require_(doc && typeof doc === "object" && !Array.isArray(doc), "the file is not a JSON object");
  require_(doc.format === FORMAT, `unknown format (expected '${FORMAT}')`);
  require_(isInt(doc.patient_id), "missing 'patient_id'");
  checkHead(doc.tree_head, "tree_head");
  require_(Array.isArray(doc.entries), "missing 'entries'");
  doc.entries.forEach((entry, i) => {
    require_(entry && typeof entry === "object" && !Array.isArray(entry), `entry #${i} is not an object`);
    require_(isInt(entry.leaf_index) && entry.leaf_index >= 0, `entry #${i} has no valid 'leaf_index'`);
    require_(typeof entry.leaf === "string", `entry #${i} has no 'leaf'`);
    const sct = entry.signed_entry_timestamp;
    require_(sct && typeof sct === "object" && typeof sct.signature === "string", `entry #${i} has no 'signed_entry_timestamp'`);
    checkProof(entry.inclusion_proof, `entry #${i} 'inclusion_proof'`);
  });
  const previous = doc.previous_heads === undefined ? [] : doc.previous_heads;
  require_(Array.isArray(previous), "'previous_heads' is not a list");
  previous.forEach((item, i) => {
    require_(item && typeof item === "object", `previous head #${i} is not an object`);
    checkHead(item.tree_head, `previous head #${i}`);
    checkProof(item.consistency_proof, `previous head #${i} 'consistency_proof'`);
  });
}

// ---- verification (same order and codes as verify.py) ----------------------------------------------

function content(entry) {
  try {
    const value = JSON.parse(entry.leaf);
    return value && typeof value === "object" && !Array.isArray(value) ? value : null;
  } catch (error) {
    return null;
  }
}

function names(entry) {
  const c = content(entry) || {};
  return { at: c.at === undefined ? "" : String(c.at), action: c.action === undefined ? "" : String(c.action), actor: c.actor_label || "" };
}

function verifyEntries(doc, key, problems) {
  const size = doc.tree_head.size;
  const root = unhex(doc.tree_head.root_hash);
  let previous = -1;
  for (const entry of doc.entries) {
    const index = entry.leaf_index;
    const { at, action } = names(entry);
    const report = (code, detail = "") => problems.push({ index, code, detail, at, action });
    if (index <= previous) report("reordered", String(previous));
    previous = Math.max(previous, index);
    const c = content(entry);
    const digest = leafHash(entry.leaf);
    if (c === null) { report("altered"); continue; }
    if (c.patient_id !== doc.patient_id) report("other_patient");
    if (entry.leaf_hash !== undefined && entry.leaf_hash !== hex(digest)) { report("altered"); continue; }
    if (!signatureValid(key, String(entry.signed_entry_timestamp.signature || ""), sctMessage(digest))) {
      report("altered");
      continue;
    }
    if (index >= size) { report("beyond_head", String(size)); continue; }
    if (!verifyInclusion(index, size, digest, entry.inclusion_proof.map(unhex), root)) report("not_in_log");
  }
}

function verifyPreviousHeads(doc, key, problems) {
  const head = doc.tree_head;
  let checked = 0;
  for (const item of doc.previous_heads || []) {
    const old = item.tree_head;
    if (!headSigned(old, key)) { problems.push({ index: null, code: "inconsistent", detail: String(old.size) }); continue; }
    const ok = old.size <= head.size &&
      verifyConsistency(old.size, head.size, unhex(old.root_hash), unhex(head.root_hash), item.consistency_proof.map(unhex));
    if (!ok) { problems.push({ index: null, code: "inconsistent", detail: String(old.size) }); continue; }
    checked += 1;
  }
  return checked;
}

function verifyDocument(doc, keyText) {
  const key = unbase64(keyText);
  require_(key.length === 32, "key");
  checkShape(doc);
  const head = doc.tree_head;
  const report = { problems: [], entries: doc.entries.length, size: head.size, keyId: keyId(keyText), previousHeads: 0, sinceSize: null };
  if (head.origin !== (doc.origin === undefined ? head.origin : doc.origin)) {
    report.problems.push({ index: null, code: "bad_head_signature", detail: "origin" });
  }
  if (!headSigned(head, key)) report.problems.push({ index: null, code: "bad_head_signature", detail: head.key_id || "" });
  verifyEntries(doc, key, report.problems);
  report.previousHeads = verifyPreviousHeads(doc, key, report.problems);
  report.doc = doc;
  return report;
}

const sameHead = (a, b) => ["origin", "size", "root_hash", "timestamp", "signature"].every((k) => a[k] === b[k]);

function compareEntries(newDoc, oldDoc, oldSize, problems) {
  const byIndex = new Map(newDoc.entries.map((e) => [e.leaf_index, e]));
  let found = false;
  for (const entry of oldDoc.entries.slice().sort((a, b) => a.leaf_index - b.leaf_index)) {
    if (entry.leaf_index >= oldSize) continue;
    const { at, action } = names(entry);
    const other = byIndex.get(entry.leaf_index);
    if (other === undefined) {
      problems.push({ index: entry.leaf_index, code: "removed", detail: "", at, action });
      found = true;
    } else if (!equal(leafHash(other.leaf), leafHash(entry.leaf))) {
      const now = names(other);
      const detail = now.at !== at || now.action !== action ? `${now.at}, ${now.action}` : "";
      problems.push({ index: entry.leaf_index, code: "changed", detail, at, action });
      found = true;
    }
  }
  return found;
}

function verifySince(newDoc, oldDoc, keyText) {
  const report = verifyDocument(newDoc, keyText);
  let oldReport;
  try {
    oldReport = verifyDocument(oldDoc, keyText);
  } catch (error) {
    if (error instanceof Malformed) throw new Malformed("older file: " + error.message);
    throw error;
  }
  for (const p of oldReport.problems) {
    report.problems.push({ index: p.index, code: "old_file", detail: p.code, at: p.at || "", action: p.action || "" });
  }
  const oldHead = oldDoc.tree_head, newHead = newDoc.tree_head;
  report.sinceSize = oldHead.size;
  if (oldDoc.patient_id !== newDoc.patient_id || oldHead.origin !== newHead.origin) {
    report.problems.push({ index: null, code: "not_extended", detail: "another history" });
    return report;
  }
  if (oldHead.size > newHead.size) report.problems.push({ index: null, code: "shrunk", detail: `${oldHead.size} → ${newHead.size}` });
  let consistent = false, proofFailed = false;
  if (sameHead(oldHead, newHead)) {
    consistent = true;
  } else {
    const carried = (newDoc.previous_heads || []).filter((i) => sameHead(i.tree_head, oldHead));
    if (carried.length) {
      consistent = verifyConsistency(oldHead.size, newHead.size, unhex(oldHead.root_hash), unhex(newHead.root_hash), carried[0].consistency_proof.map(unhex));
      if (!consistent) { proofFailed = true; report.problems.push({ index: null, code: "inconsistent", detail: String(oldHead.size) }); }
    } else {
      report.problems.push({ index: null, code: "not_extended", detail: "" });
    }
  }
  const named = compareEntries(newDoc, oldDoc, oldHead.size, report.problems);
  if (proofFailed && !named) report.problems.push({ index: null, code: "rewritten", detail: "" });
  return report;
}

function firstChanged(report) {
  const named = report.problems.filter((p) => p.index !== null && p.index !== undefined);
  return named.length ? named.reduce((a, b) => (b.index < a.index ? b : a)) : null;
}

// ---- the page ----------------------------------------------------------------------------------------

const TEXT = {
  fr: {
    switch: "English", title: "Vérifier un historique Carnet",
    intro: "Cette page vérifie, dans votre navigateur et sans rien envoyer, qu'un historique téléchargé depuis Carnet n'a pas été modifié : chaque entrée signée, sa place dans le journal signé, et qu'un historique récent prolonge bien un plus ancien.",
    offline: "Elle fonctionne hors ligne : vous pouvez l'enregistrer et l'ouvrir sans connexion.",
    keyTitle: "1. La clé publique de Carnet",
    keyHint: "Obtenez-la par un autre canal que le fichier (page « Vérifier un historique » de Carnet, publication officielle, courrier) et vérifiez son empreinte. La clé contenue dans le fichier ne prouve rien.",
    newTitle: "2. L'historique à vérifier", oldTitle: "3. Un historique téléchargé plus tôt (facultatif)",
    oldHint: "Pour vérifier que rien de ce qu'il contenait n'a changé depuis.", verify: "Vérifier",
    entriesTitle: "Entrées vérifiées", colIndex: "N°", colDate: "Date", colAction: "Action", colActor: "Auteur",
    footer: "Code source lisible dans cette page ; bibliothèques @noble/hashes et @noble/ed25519 (licence MIT) incluses telles quelles.",
    ok: "Historique intègre", ko: "Anomalies détectées", error: "Vérification impossible",
    noKey: "Collez d'abord la clé publique de Carnet, obtenue par un autre canal que le fichier : la clé contenue dans le fichier ne prouve rien.",
    badKey: "Cette clé publique n'est pas valide (32 octets en base64 attendus).",
    noFile: "Choisissez l'historique à vérifier.",
    malformed: "Ce fichier n'est pas un historique Carnet lisible : ",
    summaryOk: (r) => `Les ${r.entries} entrées de ce fichier sont celles que Carnet a signées, à leur place dans le journal signé (taille ${r.size}, clé ${r.keyId}).` +
      (r.previousHeads ? ` ${r.previousHeads} version(s) précédente(s) du journal remise(s) auparavant sont cohérentes avec celle-ci.` : "") +
      (r.sinceSize !== null ? ` Il prolonge l'historique plus ancien : rien de ce que contenait ce dernier n'a changé.` : ""),
    summaryKo: (n) => `${n} anomalie(s) : ce fichier ne correspond pas à ce que Carnet a signé, ou le journal a été réécrit.`,
    first: (p) => `Première entrée modifiée : n° ${p.index}${p.at ? ", du " + when(p.at) : ""}${p.action ? ", action « " + p.action + " »" : ""}.`,
    entry: (p) => `Entrée n° ${p.index}${p.at ? " (" + when(p.at) + (p.action ? ", " + p.action : "") + ")" : ""} : `,
    file: "Fichier : ",
    problems: {
      altered: "entrée modifiée (elle ne correspond plus à ce que Carnet a signé)",
      not_in_log: "entrée absente du journal signé (preuve d'inclusion invalide)",
      reordered: "entrées réordonnées",
      beyond_head: "entrée postérieure à la version signée du journal",
      other_patient: "entrée d'un autre historique",
      bad_head_signature: "la version du journal n'est pas signée par la clé de Carnet",
      inconsistent: "une version précédente du journal n'est pas cohérente avec celle-ci",
      not_extended: "ce fichier ne prouve pas qu'il prolonge l'historique plus ancien",
      shrunk: "le journal a rétréci depuis l'historique plus ancien",
      removed: "entrée supprimée depuis l'historique plus ancien",
      changed: "entrée modifiée depuis l'historique plus ancien",
      rewritten: "le journal a été réécrit avant l'historique plus ancien, dans des entrées qui ne sont pas les vôtres",
      old_file: "l'historique plus ancien ne se vérifie pas lui-même",
    },
  },
  en: {
    switch: "Français", title: "Verify a Carnet history",
    intro: "This page checks, in your browser and without sending anything, that a history downloaded from Carnet was not altered: every signed entry, its place in the signed log, and that a recent history extends an older one.",
    offline: "It works offline: you may save it and open it without a connection.",
    keyTitle: "1. Carnet's public key",
    keyHint: "Get it through another channel than the file (Carnet's \"Verify a history\" page, an official publication, a letter) and check its fingerprint. The key inside the file proves nothing.",
    newTitle: "2. The history to verify", oldTitle: "3. A history downloaded earlier (optional)",
    oldHint: "To check that nothing it held has changed since.", verify: "Verify",
    entriesTitle: "Entries verified", colIndex: "No.", colDate: "Date", colAction: "Action", colActor: "Author",
    footer: "Source code readable in this page; the @noble/hashes and @noble/ed25519 libraries (MIT licence) included unmodified.",
    ok: "History verified", ko: "Problems found", error: "Cannot verify",
    noKey: "First paste Carnet's public key, obtained through another channel than the file: the key inside the file proves nothing.",
    badKey: "This public key is not valid (32 bytes in base64 expected).",
    noFile: "Choose the history to verify.",
    malformed: "This file is not a readable Carnet history: ",
    summaryOk: (r) => `The ${r.entries} entries of this file are those Carnet signed, in their place in the signed log (size ${r.size}, key ${r.keyId}).` +
      (r.previousHeads ? ` ${r.previousHeads} earlier version(s) of the log given before are consistent with this one.` : "") +
      (r.sinceSize !== null ? " It extends the older history: nothing that history held has changed." : ""),
    summaryKo: (n) => `${n} problem(s): this file is not what Carnet signed, or the log was rewritten.`,
    first: (p) => `First changed entry: no. ${p.index}${p.at ? ", of " + when(p.at) : ""}${p.action ? ", action \"" + p.action + "\"" : ""}.`,
    entry: (p) => `Entry no. ${p.index}${p.at ? " (" + when(p.at) + (p.action ? ", " + p.action : "") + ")" : ""}: `,
    file: "File: ",
    problems: {
      altered: "entry altered (no longer what Carnet signed)",
      not_in_log: "entry not in the signed log (invalid inclusion proof)",
      reordered: "entries reordered",
      beyond_head: "entry beyond the signed version of the log",
      other_patient: "entry of another history",
      bad_head_signature: "the version of the log is not signed by Carnet's key",
      inconsistent: "an earlier version of the log is not consistent with this one",
      not_extended: "this file does not prove that it extends the older history",
      shrunk: "the log shrank since the older history",
      removed: "entry removed since the older history",
      changed: "entry changed since the older history",
      rewritten: "the log was rewritten before the older history, in entries that are not yours",
      old_file: "the older history does not verify itself",
    },
  },
};

let lang = new URLSearchParams(location.search).get("lang") === "en" ? "en" : "fr";
const $ = (id) => document.getElementById(id);

function when(at) {
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) return at;
  return date.toLocaleString(lang === "fr" ? "fr-FR" : "en-GB", { timeZone: "Europe/Paris", dateStyle: "short", timeStyle: "short" });
}

function translate() {
  document.documentElement.lang = lang;
  document.title = TEXT[lang].title;
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = TEXT[lang][node.dataset.i18n];
}

function show(kind, verdict, summary, problems, entries) {
  const box = $("result");
  box.hidden = false;
  box.className = kind;
  $("verdict").textContent = verdict;
  $("summary").textContent = summary;
  const list = $("problems");
  list.replaceChildren(...problems.map((text) => { const li = document.createElement("li"); li.textContent = text; return li; }));
  const rows = $("entries");
  rows.replaceChildren(...entries.map((entry) => {
    const tr = document.createElement("tr");
    const n = names(entry);
    for (const value of [String(entry.leaf_index), when(n.at), n.action, n.actor]) {
      const td = document.createElement("td");
      td.textContent = value;
      tr.append(td);
    }
    return tr;
  }));
  $("entries-box").hidden = entries.length === 0;
}

function describe(p) {
  const t = TEXT[lang];
  const what = t.problems[p.code] || p.code;
  return (p.index === null || p.index === undefined ? t.file : t.entry(p)) + what;
}

async function readJson(input) {
  const file = input.files && input.files[0];
  if (!file) return null;
  try {
    return JSON.parse(await file.text());
  } catch (error) {
    throw new Malformed(error.message);
  }
}

async function onVerify() {
  const t = TEXT[lang];
  $("result").hidden = true;
  window.carnetLastReport = undefined;
  const keyText = $("key").value.trim();
  if (!keyText) return show("ko", t.error, t.noKey, [], []);
  try {
    if (unbase64(keyText).length !== 32) return show("ko", t.error, t.badKey, [], []);
  } catch (error) {
    return show("ko", t.error, t.badKey, [], []);
  }
  let report;
  try {
    const newDoc = await readJson($("new"));
    if (newDoc === null) return show("ko", t.error, t.noFile, [], []);
    const oldDoc = await readJson($("old"));
    report = oldDoc === null ? verifyDocument(newDoc, keyText) : verifySince(newDoc, oldDoc, keyText);
  } catch (error) {
    if (error instanceof Malformed) return show("ko", t.error, t.malformed + error.message, [], []);
    throw error;
  }
  window.carnetLastReport = report;
  if (report.problems.length === 0) return show("ok", t.ok, t.summaryOk(report), [], report.doc.entries);
  const first = firstChanged(report);
  const lines = report.problems.map(describe);
  if (first) lines.unshift(t.first(first));
  show("ko", t.ko, t.summaryKo(report.problems.length), lines, report.doc.entries);
}

// For audits and tests: the same functions the button uses.
window.carnetVerify = { verifyDocument, verifySince, firstChanged, Malformed };

$("lang").addEventListener("click", () => { lang = lang === "fr" ? "en" : "fr"; translate(); if (window.carnetLastReport) onVerify(); });
$("verify").addEventListener("click", () => { onVerify(); });
translate();
