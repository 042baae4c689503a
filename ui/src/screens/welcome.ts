// Before the vault is open: create it (then keep the recovery secret safe: save, print, type two groups back),
// unlock it, recover it with the recovery secret, or restore a backup on a computer that has no vault yet.
import { api, type BackupSummary } from "../api";
import { clear, h } from "../dom";
import { formatDate, t } from "../i18n";
import { busy, countsText, errorText, field, newPassphrase, notice, passwordInput } from "../ui";

type Done = (language: string | null) => void;

function card(title: string, ...children: (HTMLElement | null)[]): HTMLElement {
  return h(
    "main",
    { class: "welcome", id: "main" },
    h("div", { class: "welcome-brand" }, h("img", { src: "/tessera.svg", alt: "", width: 48, height: 48 }), h("span", {}, "Tessera")),
    h("h1", {}, title),
    ...children,
  );
}

function show(root: HTMLElement, content: HTMLElement, focus: HTMLElement): void {
  clear(root);
  root.append(content);
  focus.focus();
}

export function renderWelcome(root: HTMLElement, vaultExists: boolean, done: Done, message?: HTMLElement): void {
  if (vaultExists) renderUnlock(root, done, message);
  else renderCreate(root, done);
}

function renderCreate(root: HTMLElement, done: Done): void {
  const passphrase = newPassphrase("new-passphrase", t("welcome.create.passphrase"), t("welcome.create.hint"));
  const out = h("div", { class: "out" });
  const submit = h("button", { type: "submit", class: "primary", id: "create-vault" }, t("welcome.create.submit"));
  const form = h("form", {}, passphrase.element, submit, out);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const chosen = passphrase.read();
    if (chosen === null) return;
    void busy(submit, out, async () => {
      const created = await api.createVault(chosen);
      passphrase.clear();
      renderRecoverySecret(root, created.recovery_secret, null, done);
    });
  });
  const restore = h("button", { class: "link", id: "restore-instead", type: "button", onclick: () => renderRestoreNew(root, done) }, t("welcome.create.restore"));
  const content = card(t("welcome.create.title"), h("p", { class: "lead" }, t("welcome.create.intro")), form, h("p", { class: "other-way" }, t("welcome.create.have_backup"), " ", restore));
  show(root, content, content.querySelector("input") as HTMLInputElement);
}

/** The recovery secret, shown once: save it to a file, print it, then type two of its groups back. */
function renderRecoverySecret(root: HTMLElement, secret: string, restored: HTMLElement | null, done: Done): void {
  const out = h("div", { class: "out" });
  const save = h("button", { class: "quiet", id: "recovery-save" }, t("welcome.recovery.save"));
  save.addEventListener("click", () =>
    void busy(save, out, async () => {
      const file = await api.recoverySave();
      return file ? t("welcome.recovery.saved", { file }) : null;
    }),
  );
  const print = h("button", { class: "quiet", id: "recovery-print", onclick: () => window.print() }, t("welcome.recovery.print"));
  const next = h("button", { class: "primary", id: "recovery-noted", onclick: () => renderRecoveryCheck(root, secret, restored, done) }, t("welcome.recovery.confirm"));
  const groups = secret.split("-");
  const content = card(
    t("welcome.recovery.title"),
    restored,
    h("p", { class: "lead" }, t("welcome.recovery.intro")),
    h(
      "div",
      { class: "print-sheet" },
      h("p", { class: "print-only" }, t("welcome.recovery.print_title")),
      h("p", { class: "secret", id: "recovery-secret", "aria-label": t("welcome.recovery.title") }, secret),
      h("ol", { class: "secret-groups", "aria-hidden": "true" }, ...groups.map((g) => h("li", {}, g))),
      h("p", { class: "print-only" }, t("welcome.recovery.print_note")),
    ),
    h("div", { class: "actions" }, save, print),
    out,
    h("div", { class: "actions" }, next),
  );
  show(root, content, save);
}

/** Two groups of the secret, at random positions, typed back before going on. */
function renderRecoveryCheck(root: HTMLElement, secret: string, restored: HTMLElement | null, done: Done): void {
  const count = secret.split("-").length;
  const first = 1 + Math.floor(Math.random() * count);
  let second = 1 + Math.floor(Math.random() * (count - 1));
  if (second >= first) second += 1;
  const positions = [first, second].sort((a, b) => a - b);
  const inputs = positions.map((p) => h("input", { id: `recovery-group-${p}`, "data-position": p, class: "mono group", maxlength: 4, autocomplete: "off", spellcheck: "false", autocapitalize: "characters" }));
  const out = h("div", { class: "out" });
  const submit = h("button", { type: "submit", class: "primary", id: "recovery-check" }, t("welcome.check.submit"));
  const form = h("form", {}, h("div", { class: "row" }, ...positions.map((p, i) => field(t("welcome.check.group", { position: p }), inputs[i]))), submit, out);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void busy(submit, out, async () => {
      await api.recoveryConfirm(positions.map((position, i) => ({ position, group: inputs[i].value })));
      const status = await api.appStatus();
      done(status.language);
    });
  });
  const back = h("button", { class: "link", id: "recovery-show-again", type: "button", onclick: () => renderRecoverySecret(root, secret, restored, done) }, t("welcome.check.back"));
  const content = card(t("welcome.check.title"), h("p", { class: "lead" }, t("welcome.check.intro")), form, back);
  show(root, content, inputs[0]);
}

function renderUnlock(root: HTMLElement, done: Done, message?: HTMLElement): void {
  const passphrase = passwordInput("unlock-passphrase", "current-password");
  const out = h("div", { class: "out" });
  const submit = h("button", { type: "submit", class: "primary", id: "unlock" }, t("welcome.unlock.submit"));
  const form = h("form", {}, field(t("welcome.unlock.passphrase"), passphrase), submit, out);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void busy(submit, out, async () => {
      const info = await api.unlock(passphrase.value).catch((error: unknown) => {
        // A wrong passphrase is typed again from the start.
        passphrase.value = "";
        passphrase.focus();
        throw error;
      });
      passphrase.value = "";
      if (info.damaged_records > 0) alertDamaged(info.damaged_records);
      done(info.language);
    });
  });
  const forgot = h("button", { class: "link", id: "forgot", type: "button", onclick: () => renderRecover(root, done) }, t("welcome.unlock.forgot"));
  show(root, card(t("welcome.unlock.title"), message ?? null, form, forgot), passphrase);
}

function alertDamaged(count: number): void {
  window.setTimeout(() => document.getElementById("main")?.prepend(notice("warning", t("welcome.damaged", { count }))), 50);
}

function renderRecover(root: HTMLElement, done: Done): void {
  const secret = h("input", { id: "recovery-input", type: "text", autocomplete: "off", spellcheck: "false", class: "mono" });
  const passphrase = newPassphrase("recover-passphrase", t("welcome.recover.new"), t("welcome.create.hint"));
  const out = h("div", { class: "out" });
  const submit = h("button", { type: "submit", class: "primary", id: "recover" }, t("welcome.recover.submit"));
  const form = h("form", {}, field(t("welcome.recover.secret"), secret, t("welcome.recover.secret_hint")), passphrase.element, submit, out);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const chosen = passphrase.read();
    if (chosen === null) return;
    void busy(submit, out, async () => {
      const info = await api.recover(secret.value, chosen);
      secret.value = "";
      passphrase.clear();
      done(info.language);
    });
  });
  const back = h("button", { class: "link", id: "recover-back", type: "button", onclick: () => renderUnlock(root, done) }, t("welcome.recover.back"));
  show(root, card(t("welcome.recover.title"), h("p", { class: "lead" }, t("welcome.recover.intro")), form, back), secret);
}

export function backupFacts(summary: BackupSummary): string {
  return t("backup.holds", { date: formatDate(summary.created_at), what: countsText(summary.holds) });
}

/** A new computer: a backup becomes the vault, under a new passphrase. */
function renderRestoreNew(root: HTMLElement, done: Done): void {
  const backupPassphrase = passwordInput("restore-backup-passphrase", "off");
  const chooseOut = h("div", { class: "out" });
  const choose = h("button", { class: "quiet", id: "restore-choose", type: "button" }, t("welcome.restore.choose"));
  const second = h("div", { id: "restore-second-step" });
  choose.addEventListener("click", () =>
    void busy(choose, chooseOut, async () => {
      const summary = await api.backupInspect(backupPassphrase.value);
      if (!summary) return null;
      second.replaceChildren(restoreSecondStep(root, summary, backupPassphrase, done));
      second.querySelector("input")?.focus();
      return null;
    }),
  );
  const back = h("button", { class: "link", id: "restore-back", type: "button", onclick: () => renderCreate(root, done) }, t("welcome.restore.back"));
  const content = card(
    t("welcome.restore.title"),
    h("p", { class: "lead" }, t("welcome.restore.intro")),
    field(t("settings.backup_passphrase"), backupPassphrase, t("welcome.restore.passphrase_hint")),
    h("div", { class: "actions" }, choose),
    chooseOut,
    second,
    back,
  );
  show(root, content, backupPassphrase);
}

function restoreSecondStep(root: HTMLElement, summary: BackupSummary, backupPassphrase: HTMLInputElement, done: Done): HTMLElement {
  const passphrase = newPassphrase("restore-new-passphrase", t("welcome.restore.new"), t("welcome.create.hint"));
  const out = h("div", { class: "out" });
  const submit = h("button", { type: "submit", class: "primary", id: "restore-new-vault" }, t("welcome.restore.submit"));
  const form = h("form", {}, notice("success", t("welcome.restore.found", { file: summary.file_name }), backupFacts(summary)), passphrase.element, submit, out);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const chosen = passphrase.read();
    if (chosen === null) return;
    void busy(submit, out, async () => {
      try {
        const restored = await api.vaultFromBackup(backupPassphrase.value, chosen);
        passphrase.clear();
        backupPassphrase.value = "";
        const doneNotice = notice("success", t("welcome.restore.done"), backupFacts(restored.restored));
        renderRecoverySecret(root, restored.recovery_secret, doneNotice, () => done(restored.language));
      } catch (error) {
        out.replaceChildren(notice("error", errorText(error)));
      }
    });
  });
  return form;
}
